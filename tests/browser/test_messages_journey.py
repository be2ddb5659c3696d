"""Browser journey at phone width: an organizer writes to all Japanese delegates not yet checked in, sees whom it
reaches, previews it as one of them, confirms the number and sends; the log lists each delivery. Screenshots go to
screenshots/ (looked at: nothing overflows the phone's width)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import PHONE, new_context, sign_in, watch

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture()
def forum_with_delegates(live_server):
    def build():
        from forum import clock
        from forum.badges import issuing
        from forum.registration import states
        from forum.registration.models import RegState
        from tests import factories

        slug = live_server.new_slug("messages")
        forum = factories.forum(slug=slug)
        people = [("田中 一郎", "TANAKA Ichiro", "ja", False), ("佐藤 花子", "SATO Hanako", "ja", False),
                  ("鈴木 次郎", "SUZUKI Jiro", "ja", True), ("Иван Петров", "Ivan PETROV", "ru", False),
                  ("Әлия Нұрланқызы", "Aliya NURLANKYZY", "kk", False)]
        for i, (full, latin, lang, inside) in enumerate(people):
            reg = factories.company(forum, 1, contact_email=f"c{i}-{slug}@example.org", delegates=[
                factories.delegate_input(full_name=full, latin_name=latin, language=lang,
                                         email=f"d{i}-{slug}@example.org")]).delegates[0]
            states.transition(reg, RegState.APPROVED, by=None, notify=False)
            if inside:
                issuing.badge_for(reg).first_checked_in_at = clock.now()
        return slug

    return live_server.seed(build)


def _fits(page) -> bool:
    """Nothing sticks out past the phone's width (the first few that do are named)."""
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                     && !(e.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
        .map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 30)).slice(0, 8)""")
    assert not wide, wide
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / name).write_bytes(page.screenshot(full_page=True, type="png"))


def test_message_to_japanese_delegates_not_yet_checked_in_at_phone_width(browser, live_server, organizer,
                                                                         forum_with_delegates):
    slug = forum_with_delegates
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    sign_in(page, organizer["email"], organizer["password"])

    page.goto(f"/manage/{slug}/messages/")
    page.get_by_role("link", name="New message").click()
    page.get_by_label("日本語 (ja)").check()
    page.get_by_role("group", name="Checked in at the venue").get_by_label("No").check()
    page.get_by_role("button", name="Count the recipients").click()
    assert "This will reach 2 people: 2 ja" in page.locator(".reach").inner_text()
    page.locator("#subject_ja").fill("会場へのご案内")
    page.locator("#body_ja").fill("バスは9時にホテルを出発します。")
    page.locator("#subject_en").fill("How to reach the venue")
    page.locator("#body_en").fill("The bus leaves the hotel at 9.")
    _shot(page, "messages-compose-phone.png")
    assert _fits(page)
    page.get_by_role("button", name="Save the draft").click()

    assert "This will reach 2 people: 2 ja" in page.locator(".reach").inner_text()
    assert _fits(page)
    _shot(page, "messages-draft-phone.png")
    page.get_by_role("link", name="Preview as a recipient").click()
    assert page.locator("#preview-subject").inner_text() == "会場へのご案内"
    assert page.locator(".preview-language").get_attribute("data-fallback") == "no"
    assert _fits(page)
    _shot(page, "messages-preview-phone.png")
    page.get_by_role("link", name="Back to the message").click()

    page.get_by_label("Send it to 2 people now").check()
    page.get_by_role("button", name="Send", exact=True).click()
    assert page.locator(".recipient-row").count() == 2
    assert "Queued: 2" in page.locator(".delivery-counts").inner_text()
    assert _fits(page)
    _shot(page, "messages-log-phone.png")
    context.close()
    assert not problems, "\n".join(problems)
