"""A postponement in a real browser, under the Content-Security-Policy: a Kazakh delegate opens their personal
link on a phone and declines (with the confirmation box); the organizer's page of who still comes at phone width.
Screenshots go to screenshots/."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import PHONE, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
OVERFLOW_JS = """() => [...document.querySelectorAll('body *')].filter(el => {
  const r = el.getBoundingClientRect(); return r.width && r.right > window.innerWidth + 1 && !el.closest('.table-responsive');
}).map(el => el.tagName + '.' + [...el.classList].join('.')).slice(0, 5)"""


@pytest.fixture(scope="module")
def postponed(live_server, organizer):
    slug = seed_forum(live_server, phase="open", title="Central Asia + Japan Business Forum 2026")

    def build():
        from datetime import timedelta

        import sqlalchemy as sa

        from forum import clock
        from forum.accounts.models import User
        from forum.db import db
        from forum.forums.models import Forum
        from forum.postponements import links, services
        from forum.postponements.models import PostponementReply
        from tests import factories

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        org = db.session.scalar(sa.select(User).where(User.email == organizer["email"]))
        factories.company(forum, 0, language="kk", contact_email=f"c-{slug}@example.kz", delegates=[
            factories.delegate_input(full_name="Дінмұхамед Құдайбергенов-Иманғалиев",
                                     latin_name="Dinmukhamed Kudaibergenov-Imangaliyev", language="kk",
                                     email=f"d-{slug}@example.kz")])
        services.postpone(forum, new_starts_at=forum.starts_at + timedelta(days=30),
                          new_ends_at=forum.ends_at + timedelta(days=30),
                          reasons={"ru": "Площадка закрыта на ремонт: конгресс-холл готовит новую систему перевода."},
                          answer_by=clock.now() + timedelta(days=10), confirmed=True, by=org)
        db.session.flush()
        reply = db.session.scalars(sa.select(PostponementReply)).all()[-1]
        return {"slug": slug, "path": links.link_for(reply).split("127.0.0.1", 1)[1].split("/", 1)[1]}

    return live_server.seed(build)


def test_a_kazakh_delegate_declines_on_a_phone(browser, live_server, postponed):
    context, page = new_context(browser, live_server, PHONE, lang="kk")
    problems: list[str] = []
    watch(page, live_server, problems)
    page.goto("/" + postponed["path"])
    expect(page.get_by_text("Дінмұхамед Құдайбергенов-Иманғалиев")).to_be_visible()
    expect(page.get_by_text("Площадка закрыта на ремонт", exact=False)).to_be_visible()  # kk reads the Russian reason
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "postponement-reply-kk-phone.png").write_bytes(page.screenshot(full_page=True, type="png"))
    assert page.evaluate(OVERFLOW_JS) == []
    page.locator("input[name=confirm][type=checkbox]").check()
    page.locator("form:has(input[value=decline]) button[type=submit]").click()
    expect(page.locator("#answer-declined")).to_be_visible()
    (SHOTS / "postponement-declined-kk-phone.png").write_bytes(page.screenshot(full_page=True, type="png"))
    context.close()
    assert not problems, problems


def test_the_organizer_sees_who_still_comes_on_a_phone(browser, live_server, organizer, postponed):
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    sign_in(page, organizer["email"], organizer["password"])
    page.goto(f"/manage/{postponed['slug']}/postponement")
    expect(page.locator("#answer-counts")).to_be_visible()
    (SHOTS / "postponement-replies-phone.png").write_bytes(page.screenshot(full_page=True, type="png"))
    assert page.evaluate(OVERFLOW_JS) == []
    page.goto(f"/manage/{postponed['slug']}/postpone")
    expect(page.locator("#postpone-preview")).to_be_visible()
    (SHOTS / "postpone-form-phone.png").write_bytes(page.screenshot(full_page=True, type="png"))
    assert page.evaluate(OVERFLOW_JS) == []
    context.close()
    assert not problems, problems
