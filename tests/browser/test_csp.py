"""Under the Content-Security-Policy (forum/security_headers.py) what used to be inline still works:
the language switcher, "select all" on the review list, the question before withdrawing, the focus on
the first field to fix. And a violation does fail a test: the `page` fixture's watch() reports it."""
from __future__ import annotations

import re

from tests.browser.helpers import playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()


def test_a_csp_violation_is_reported_as_a_problem(browser, live_server):
    """The check the other tests rely on: inline script is refused by the browser, and watch() says so."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        page.goto("/")
        page.evaluate("""() => { const s = document.createElement('script');
                                 s.textContent = 'window.inlineRan = true'; document.body.appendChild(s); }""")
        page.evaluate("""() => { const d = document.createElement('div');
                                 d.setAttribute('style', 'color: red'); document.body.appendChild(d); }""")
        page.wait_for_timeout(200)  # console messages arrive asynchronously
        assert page.evaluate("() => window.inlineRan") is None
        assert any("Content Security Policy" in p and "script" in p for p in problems), problems
        assert any("Content Security Policy" in p and "style" in p for p in problems), problems
    finally:
        context.close()


def test_the_language_switcher_changes_the_language(page, live_server):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    with page.expect_navigation():
        page.get_by_label("Language").select_option("ja")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_label("言語")).to_have_value("ja")


def test_select_all_ticks_every_row_of_the_review_list(page, live_server, organizer):
    slug = seed_forum(live_server, phase="open", title="Select-all Forum")

    def build():
        import sqlalchemy as sa

        from forum.db import db
        from forum.forums.models import Forum
        from tests import factories

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        factories.company(forum, 3)

    live_server.seed(build)
    sign_in(page, organizer["email"], organizer["password"])
    page.goto(f"/manage/{slug}/registrations")
    rows = page.locator("input.row-check")
    expect(rows).to_have_count(3)
    page.get_by_label("Select all on this page").check()
    for i in range(3):
        expect(rows.nth(i)).to_be_checked()
    page.get_by_label("Select all on this page").uncheck()
    for i in range(3):
        expect(rows.nth(i)).not_to_be_checked()


def test_withdrawing_asks_first_and_cancel_keeps_the_registration(page, live_server):
    slug = seed_forum(live_server, phase="open", title="Withdraw Forum")
    email = f"withdraw-{slug}@example.org"

    def build():
        import sqlalchemy as sa

        from forum.accounts import services
        from forum.db import db
        from forum.forums.models import Forum
        from tests import factories

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        factories.company(forum, 1, contact_email=f"contact-{slug}@example.org",
                          delegates=[factories.delegate_input(email=email)])
        services.find_by_email(email).set_password(factories.PASSWORD)

    live_server.seed(build)
    from tests.factories import PASSWORD

    sign_in(page, email, PASSWORD)
    page.goto("/my")
    questions: list[str] = []

    def answer(dialog, accept: bool):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_role("button", name="Withdraw")).to_be_visible()  # still active
    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation():
        page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_role("button", name="Withdraw")).to_have_count(0)
    assert questions == ["Withdraw from this forum?"] * 2


def test_after_a_refused_sign_in_the_field_to_fix_has_the_focus(page, live_server):
    page.goto("/login")
    page.get_by_label("E-mail").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Password")).to_be_focused()
    expect(page.get_by_label("Password")).to_have_class(re.compile(r"\bis-invalid\b"))
