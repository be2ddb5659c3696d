"""A contact person fixes a misspelt Kazakh name and sends a colleague instead of another delegate; the organizer
sees "changed since approval". Screenshots of the correction and substitution pages, desktop and phone."""
from __future__ import annotations

import re
from pathlib import Path

from tests.browser.helpers import DESKTOP, PHONE, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
CONTACT = "gulnar@dala-tech.kz"
MISSPELT, RIGHT = "Әлибек Сейтқалиев", "Әлібек Сейтқалиев"


def _seed(live_server, slug: str) -> None:
    import sqlalchemy as sa

    from forum.accounts.models import User
    from forum.db import db
    from forum.forums.models import Forum
    from forum.registration.models import RegState
    from forum.registration.states import transition
    from tests import factories

    def build():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        forum.badge_deadline = forum.starts_at - (forum.starts_at - forum.registration_closes_at) / 2
        org = db.session.scalar(sa.select(User).where(User.is_admin.is_(True)))
        company = factories.company(
            forum, legal_name="«Дала Тех» ЖШС", name_en="Dala Tech LLP", country="KZ", city="Алматы", sector="it",
            contact_name="Гүлнар Омарова", contact_email=CONTACT,
            delegates=[
                factories.delegate_input(full_name=MISSPELT, latin_name="SEITKALIYEV Alibek", email="alibek@dala-tech.kz",
                                         position="Бас директор", phone="+7 701 123 4567", languages=["kk", "ru"],
                                         language="ru"),
                factories.delegate_input(full_name="Ерлан Жақсыбеков", latin_name="ZHAKSYBEKOV Yerlan",
                                         email="yerlan@dala-tech.kz", position="Инженер", languages=["kk", "ru"],
                                         language="ru"),
            ])
        for reg in company.delegates:
            transition(reg, RegState.APPROVED, by=org)
        company.contact_user.set_password(factories.PASSWORD)

    live_server.seed(build)


def _shoot(page, name: str) -> None:
    """The page as it is, at desktop then phone width; on a phone it must not scroll sideways."""
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=SHOTS / f"corrections-{name}-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=SHOTS / f"corrections-{name}-phone.png", full_page=True)
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width + 1, f"{name} scrolls sideways on a phone"
    page.set_viewport_size(DESKTOP)


def test_contact_person_corrects_a_kazakh_name_and_substitutes_a_delegate(browser, live_server, organizer):
    slug = seed_forum(live_server, phase="open", title="Astana Digital Forum")
    _seed(live_server, slug)
    context, page = new_context(browser, live_server, DESKTOP)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, CONTACT, "correct horse battery")
        page.goto("/my")
        company = page.locator(".company-item").filter(has_text="«Дала Тех» ЖШС")
        expect(company).to_contain_text("can be corrected until the badge deadline")

        # 1. The misspelt name: и typed for і on a Russian keyboard.
        company.get_by_role("link", name=f"Correct {MISSPELT}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Correct a delegate's data")
        name = page.get_by_label("Full name, as written natively")
        expect(name).to_have_value(MISSPELT)
        name.fill(RIGHT)
        _shoot(page, "correct")
        page.get_by_role("button", name="Save the correction").click()
        expect(page.get_by_role("status")).to_have_text(f"The correction of {RIGHT} is saved.")
        expect(page.get_by_role("heading", level=1)).to_contain_text("«Дала Тех» ЖШС")
        expect(page.locator(".native-name").filter(has_text=RIGHT)).to_be_visible()
        expect(page.get_by_text(MISSPELT)).to_have_count(0)

        # 2. Yerlan cannot come: Nurlan goes instead, and keeps the approved place.
        page.get_by_role("link", name="Substitute Ерлан Жақсыбеков").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Send a colleague instead")
        expect(page.get_by_role("note")).to_contain_text("the colleague is approved at once")
        page.get_by_label("Full name, as written natively").fill("Нұрлан Әбенов")
        page.get_by_label("Name in Latin letters").fill("ABENOV Nurlan")
        page.get_by_label("Position").fill("Коммерциялық директор")
        page.get_by_label("E-mail").fill("nurlan@dala-tech.kz")
        page.get_by_label("Kazakh", exact=True).check()
        page.get_by_label("Russian", exact=True).check()
        _shoot(page, "substitute")
        page.get_by_role("button", name="Substitute the delegate").click()
        # Not confirmed: nothing happens, the box says why.
        confirm = page.get_by_label(re.compile("^Yes, withdraw this delegate"))
        expect(confirm).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Full name, as written natively")).to_have_value("Нұрлан Әбенов")
        confirm.check()
        page.get_by_role("button", name="Substitute the delegate").click()
        expect(page.get_by_role("status")).to_have_text(
            "Нұрлан Әбенов takes the place of Ерлан Жақсыбеков. Both have been told by e-mail.")
        rows = page.get_by_role("main").get_by_role("listitem")
        expect(rows.filter(has_text="Ерлан Жақсыбеков")).to_contain_text("Replaced by Нұрлан Әбенов")
        expect(rows.filter(has_text="Ерлан Жақсыбеков").get_by_text(re.compile("^withdrawn$", re.I))).to_be_visible()
        expect(rows.filter(has_text="ABENOV Nurlan").get_by_text(re.compile("^approved$", re.I))).to_be_visible()
    finally:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)

    # 3. The organizer sees both approved delegates as changed since approval, and marks one as seen.
    context, org = new_context(browser, live_server, DESKTOP)
    watch(org, live_server, problems)
    try:
        sign_in(org, organizer["email"], organizer["password"])
        org.goto(f"/manage/{slug}/registrations")
        org.get_by_label("Changed", exact=True).select_option(label="Since approval")
        org.get_by_role("button", name="Filter").click()
        rows = org.locator("table tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text=RIGHT).get_by_text("changed since approval")).to_be_visible()
        expect(rows.filter(has_text="Нұрлан Әбенов").get_by_text("changed since approval")).to_be_visible()
        SHOTS.mkdir(exist_ok=True)
        org.screenshot(path=SHOTS / "corrections-organizer-list-desktop.png", full_page=True)
        org.get_by_role("link", name=RIGHT).click()
        history = org.get_by_role("listitem").filter(has_text="Data corrected")
        expect(history).to_contain_text(f"Full name: {MISSPELT} → {RIGHT}")
        org.screenshot(path=SHOTS / "corrections-organizer-detail-desktop.png", full_page=True)
        org.get_by_role("button", name="Mark as seen").click()
        expect(org.get_by_role("status")).to_contain_text("no longer shows “changed since approval”")
        org.goto(f"/manage/{slug}/registrations?changed=yes")
        expect(org.locator("table tbody tr")).to_have_count(1)
    finally:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)
