"""Reversible decisions through real pages: an organizer reconsiders a rejection with a reason; the page that
reopens a cancelled forum lists who comes back (screenshots for people to look at); "ask" mode's one click."""
from __future__ import annotations

import re
from pathlib import Path

from tests.browser.helpers import DESKTOP, PHONE, new_context, playwright_expect, sakura, seed_company, seed_forum, sign_in, watch

expect = playwright_expect()

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _registrations(live_server, slug):
    """{latin name: registration id} of the forum, and its organizer-side objects' ids."""
    import sqlalchemy as sa

    from forum.db import db
    from forum.registration.models import Registration

    def build():
        return {r.latin_name: r.id for r in db.session.scalars(
            sa.select(Registration).join(Registration.forum).where(sa.text("forums.slug = :s")).params(s=slug))}

    return live_server.seed(build)


def _decide(live_server, reg_id: int, to: str, reason: str = "", **forum_changes):
    from forum.accounts import services as accounts
    from forum.db import db
    from forum.registration import states
    from forum.registration.models import RegState, Registration

    def build():
        reg = db.session.get(Registration, reg_id)
        for name, value in forum_changes.items():
            setattr(reg.forum, name, value)
        db.session.flush()
        states.transition(reg, RegState(to), by=accounts.find_by_email("organizer@example.org"), reason=reason)

    live_server.seed(build)


def test_organizer_reconsiders_a_rejection_with_a_reason(page, live_server, organizer):
    slug = seed_forum(live_server, phase="open", title="Japan – Central Asia Business Forum")
    seed_company(live_server, slug, sakura("-rc"))
    ids = _registrations(live_server, slug)
    _decide(live_server, ids["Aliya Nurlankyzy"], "rejected", "The company could not be verified.")

    sign_in(page, organizer["email"], organizer["password"])
    page.goto(f"/manage/{slug}/registrations?state=rejected")
    page.get_by_role("link", name="Әлия Нұрланқызы").click()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    reconsider = page.get_by_role("button", name="Reconsider (back to pending)")

    # Without a reason: refused, the error at the Reason box, nothing changed.
    reconsider.click()
    reason = page.get_by_label("Reason for the decision", exact=True)
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("Give a reason for reconsidering the rejection."))
    expect(page.get_by_role("listitem").filter(has_text="rejected → pending")).to_have_count(0)

    why = "The Chamber of Commerce vouched for the company."
    reason.fill(why)
    page.get_by_role("button", name="Reconsider (back to pending)").click()
    expect(page.get_by_role("status")).to_have_text("Әлия Нұрланқызы is now pending.")
    expect(page.get_by_role("listitem").filter(has_text="rejected → pending")).to_contain_text(why)
    # pending again: the usual decisions are back
    expect(page.get_by_role("button", name="Approve")).to_be_visible()


def test_the_reopen_page_lists_who_comes_back_and_reopens_on_confirmation(browser, page, live_server, organizer):
    slug = seed_forum(live_server, phase="open", title="Uzbekistan–Japan Business Forum")
    seed_company(live_server, slug, sakura("-ro"))
    ids = _registrations(live_server, slug)
    _decide(live_server, ids["YAMADA Taro"], "approved")
    _decide(live_server, ids["Aliya Nurlankyzy"], "approved", capacity=2)

    def cancel_then_lower_the_capacity():
        import sqlalchemy as sa

        from forum.accounts import services as accounts
        from forum.db import db
        from forum.forums import cancellation
        from forum.forums.models import Forum

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        cancellation.cancel(forum, reason="The venue is closed for repairs.", confirmed=True,
                            by=accounts.find_by_email(organizer["email"]))
        forum.capacity = 1  # the smaller hall: one of the two approved finds no place when it reopens

    live_server.seed(cancel_then_lower_the_capacity)

    sign_in(page, organizer["email"], organizer["password"])
    page.goto(f"/manage/{slug}/edit")
    page.get_by_role("link", name="Reopen the forum…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reopen Uzbekistan–Japan Business Forum")
    summary = page.locator(".reopen-summary")
    expect(summary).to_contain_text("2 registrations will be restored")
    expect(summary).to_contain_text("1 approved delegate finds no free place (capacity 1)")
    rows = page.locator(".restore-list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="YAMADA Taro")).to_contain_text(re.compile(r"approved\s+approved", re.I))
    expect(rows.filter(has_text="Aliya Nurlankyzy")).to_contain_text(re.compile(r"approved\s+waitlisted\s+no free place", re.I))
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "decisions-reopen-desktop.png", full_page=True)
    context, phone = new_context(browser, live_server, PHONE, storage_state=page.context.storage_state())
    problems: list[str] = []
    watch(phone, live_server, problems)
    phone.goto(f"/manage/{slug}/reopen")
    expect(phone.locator(".restore-list")).to_be_visible()
    phone.screenshot(path=SHOTS / "decisions-reopen-phone.png", full_page=True)
    context.close()
    assert not problems, problems

    # The confirmation is required.
    page.get_by_label("Reason", exact=True).fill("The repairs are done early.")
    page.get_by_role("button", name="Reopen the forum and tell everyone restored").click()
    confirm = page.get_by_label(re.compile("Yes, reopen this forum"))
    expect(confirm).to_have_attribute("aria-invalid", "true")
    confirm.check()
    page.get_by_role("button", name="Reopen the forum and tell everyone restored").click()
    expect(page.get_by_role("status").first).to_contain_text("The forum is reopened. 2 registrations were restored")
    page.goto(f"/forums/{slug}")
    expect(page.get_by_text("The venue is closed for repairs.")).to_have_count(0)
    expect(page.get_by_text("This forum has been cancelled")).to_have_count(0)


def test_ask_mode_offers_the_free_place_and_one_click_promotes(page, live_server, organizer):
    slug = seed_forum(live_server, phase="open", title="Astana Agro Forum")
    seed_company(live_server, slug, sakura("-ask"))
    ids = _registrations(live_server, slug)

    def ask_mode():
        import sqlalchemy as sa

        from forum.db import db
        from forum.forums.models import Forum, WaitlistMode

        db.session.scalar(sa.select(Forum).where(Forum.slug == slug)).waitlist_mode = WaitlistMode.ASK

    live_server.seed(ask_mode)
    _decide(live_server, ids["YAMADA Taro"], "approved", capacity=1)
    _decide(live_server, ids["Aliya Nurlankyzy"], "waitlisted")
    _decide(live_server, ids["YAMADA Taro"], "withdrawn")

    sign_in(page, organizer["email"], organizer["password"])
    page.goto(f"/manage/{slug}/registrations")
    offer = page.locator(".waitlist-offer")
    expect(offer).to_contain_text("1 place free — promote Әлия Нұрланқызы?")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "decisions-ask-offer-desktop.png", full_page=False)
    offer.get_by_role("button", name="Promote Әлия Нұрланқызы").click()
    expect(page.get_by_role("status").first).to_have_text(
        "Әлия Нұрланқызы is approved from the waiting list; the e-mail is queued.")
    expect(page.locator(".waitlist-offer")).to_have_count(0)
