"""Teams in a real browser: an organizer of one forum cannot open another's pages; the team page at work.

Screenshots of the team page (desktop and phone) and the user list go to screenshots/ for people to look at.
"""
from __future__ import annotations

import re

from tests.browser.helpers import DESKTOP, PHONE, new_context, playwright_expect, sakura, seed_company, seed_forum, sign_in
from tests.browser.test_screenshots import CUT_OFF_JS, OVERFLOW_JS, SHOTS

expect = playwright_expect()

PASSWORD = "tashkent-team-2026"


def _seed(live_server) -> tuple[str, str, str]:
    """Two forums with a company each; on the first, Dilnoza manages, Aziz reviews, Oʻktam keeps the door.
    Returns the two slugs and Dilnoza's e-mail (unique per call: the server's database lives for the run)."""
    from forum.db import db
    import sqlalchemy as sa

    from forum.forums.models import Forum
    from tests import factories

    mine = seed_forum(live_server, phase="open", title="Uzbekistan–Japan Business Forum")
    theirs = seed_forum(live_server, phase="open", title="Astana Agro Forum")
    seed_company(live_server, mine, sakura("+mine"))
    seed_company(live_server, theirs, sakura("+theirs"))

    def team():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == mine))
        factories.member(forum, "manage", email=f"dilnoza+{mine}@example.uz", password=PASSWORD,
                         name="Dilnoza Yusupova")
        factories.member(forum, "review", "checkin", email=f"aziz+{mine}@example.uz", name="Aziz Karimov")
        factories.member(forum, "checkin", email=f"door+{mine}@example.uz", name="Oʻktam Gʻulomov")

    live_server.seed(team)
    return mine, theirs, f"dilnoza+{mine}@example.uz"


def _fits(page, name: str) -> None:
    assert page.evaluate(CUT_OFF_JS) == [], name
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width + 1, f"{name} scrolls sideways: {page.evaluate(OVERFLOW_JS)}"


def test_an_organizer_of_one_forum_sees_and_opens_only_that_forum(page, live_server):
    mine, theirs, email = _seed(live_server)
    sign_in(page, email, PASSWORD)

    # Signed in, someone who reviews exactly one forum lands on its overview; the forum list shows theirs only.
    expect(page).to_have_url(re.compile(f"/manage/{mine}/$"))
    page.goto("/manage/")
    expect(page.get_by_role("heading", level=1, name="Forums")).to_be_visible()
    expect(page.locator(f"#forum-{mine}")).to_contain_text("Uzbekistan–Japan Business Forum")
    expect(page.locator(f"#forum-{theirs}")).to_have_count(0)
    expect(page.get_by_text("Astana Agro Forum")).to_have_count(0)
    expect(page.get_by_role("link", name="New forum")).to_have_count(0)

    # The Manage menu lists the same.
    page.get_by_role("button", name="Manage").click()
    menu = page.locator(".dropdown-menu.show")
    expect(menu.get_by_role("heading", name="Uzbekistan–Japan Business Forum")).to_be_visible()
    expect(menu.get_by_role("link", name="Team")).to_be_visible()
    expect(menu).not_to_contain_text("Astana Agro Forum")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "22-manage-menu-desktop.png")

    # Typing the other forum's address: the 403 page.
    response = page.goto(f"/manage/{theirs}/registrations")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1, name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Sakura Trading")).to_have_count(0)
    for path in ("team", "registrations.csv", "mail", "edit"):
        assert page.request.get(f"/manage/{theirs}/{path}").status == 403, path

    # Their own forum opens.
    response = page.goto(f"/manage/{mine}/registrations")
    assert response.status == 200
    expect(page.get_by_role("cell", name=re.compile("Sakura Trading")).first).to_be_visible()


def test_the_team_page_adds_changes_and_removes_members(browser, live_server, page):
    mine, _, email = _seed(live_server)
    sign_in(page, email, PASSWORD)
    page.goto(f"/manage/{mine}/team")
    expect(page.get_by_role("link", name="Team")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=2, name="3 members")).to_be_visible()

    # Add someone who has no account yet.
    form = page.locator("form[action$='/team']")
    form.get_by_label("E-mail").fill(f"yamada+{mine}@sakura-trading.jp")
    form.get_by_label("Review").check()
    form.get_by_label("Check-in").check()
    form.get_by_label("Name").fill("山田 太郎")
    form.get_by_label("Language of the invitation").select_option(label="日本語")
    form.get_by_role("button", name="Add to the team").click()
    expect(page.get_by_role("status")).to_contain_text("an invitation to choose a password is on its way")
    yamada = page.locator("li.list-group-item", has_text="山田 太郎")
    expect(yamada).to_contain_text("invited, no password yet")
    yamadas = page.get_by_role("group", name="Permissions of 山田 太郎")
    expect(yamadas.get_by_label("Review")).to_be_checked()
    expect(yamadas.get_by_label("Check-in")).to_be_checked()
    expect(yamadas.get_by_label("Manage")).not_to_be_checked()

    # Change Aziz's permissions.
    aziz = page.get_by_role("group", name="Permissions of Aziz Karimov")
    aziz.get_by_label("Documents").check()
    aziz.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The permissions of Aziz Karimov are saved.")
    expect(page.get_by_role("group", name="Permissions of Aziz Karimov").get_by_label("Documents")).to_be_checked()

    # The last manager cannot take manage away from themselves: said next to their permissions.
    me = page.get_by_role("group", name="Permissions of Dilnoza Yusupova")
    me.get_by_label("Manage").uncheck()
    me.get_by_label("Review").check()
    me.get_by_role("button", name="Save").click()
    expect(page.get_by_role("group", name="Permissions of Dilnoza Yusupova")).to_contain_text(
        "needs at least one member who manages it")
    expect(page.get_by_role("group", name="Permissions of Dilnoza Yusupova").get_by_label("Manage")).not_to_be_checked()

    page.goto(f"/manage/{mine}/team")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "20-team-desktop.png", full_page=True)
    _fits(page, "team page at desktop width")
    page.set_viewport_size(PHONE)
    page.screenshot(path=SHOTS / "20-team-phone.png", full_page=True)
    _fits(page, "team page at phone width")
    page.set_viewport_size(DESKTOP)

    # Remove: a page asks first.
    page.locator("li.list-group-item", has_text="Oʻktam Gʻulomov").get_by_role("link", name="Remove…").click()
    expect(page.get_by_role("heading", level=1, name="Remove Oʻktam Gʻulomov from the team?")).to_be_visible()
    page.get_by_role("button", name="Remove from the team").click()
    expect(page.get_by_role("status")).to_contain_text("Oʻktam Gʻulomov is no longer on the team")
    expect(page.locator("li.list-group-item", has_text="Oʻktam Gʻulomov")).to_have_count(0)


def test_the_user_list_for_administrators(browser, live_server, organizer, new_page):
    _seed(live_server)
    page = new_page()
    sign_in(page, organizer["email"], organizer["password"])
    page.goto("/admin/users?q=dilnoza yusupova")
    row = page.locator("tbody tr", has_text="Dilnoza Yusupova").first
    expect(row).to_contain_text("Uzbekistan–Japan Business Forum")
    expect(row).to_contain_text("Manage")
    page.goto("/admin/users")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "21-admin-users-desktop.png", full_page=True)
    _fits(page, "user list at desktop width")
    page.set_viewport_size(PHONE)
    page.screenshot(path=SHOTS / "21-admin-users-phone.png", full_page=True)
    _fits(page, "user list at phone width")
