"""An organizer fills the forum's Kazakh texts on a phone (390 x 844), issue 13 §2: the form shows which languages
are filled, a language without text is folded and opens with a tap, the page fits the screen; a Kazakh reader
then sees the Kazakh title and the practical information with its line breaks. Screenshots go to
/work/shots/issue13/ (or FORUM_SHOTS_DIR)."""
from __future__ import annotations

import os
from pathlib import Path

from tests.browser.helpers import PHONE, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()
SHOTS = Path(os.environ.get("FORUM_SHOTS_DIR", "/work/shots/issue13"))
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / name).write_bytes(page.screenshot(full_page=True, type="png"))


def test_an_organizer_fills_the_kazakh_texts_on_a_phone_and_a_kazakh_reader_sees_them(browser, live_server,
                                                                                        organizer):
    slug = seed_forum(live_server, phase="open", title="Kazakhstan–Japan Business Forum")

    def add_japanese():
        import sqlalchemy as sa

        from forum.db import db
        from forum.forums.models import Forum, ForumText

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        forum.texts.append(ForumText(language="ja", title="カザフスタン・日本ビジネスフォーラム"))

    live_server.seed(add_japanese)
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, organizer["email"], organizer["password"])
        page.goto(f"/manage/{slug}/edit")
        summary = page.locator("#languages-filled")
        expect(summary).to_contain_text("日本語 1/5")
        expect(summary).to_contain_text("Қазақша —")
        expect(page.locator("#texts-ja")).to_have_attribute("open", "")
        kk = page.locator("#texts-kk")
        expect(kk.locator("input[name=kk_title]")).to_be_hidden()  # folded: nothing in it yet
        assert page.evaluate(OVERFLOW_JS) <= 0
        _shot(page, "forum-texts-form-phone.png")
        kk.locator("summary").click()
        kk.locator("input[name=kk_title]").fill("Қазақстан–Жапония іскерлік форумы")
        kk.locator("textarea[name=kk_practical_info]").fill("Виза қажет емес.\nКиім үлгісі: іскерлік.")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(f"**/manage/{slug}/**")
        page.goto(f"/manage/{slug}/edit")
        expect(page.locator("#languages-filled")).to_contain_text("Қазақша 2/5")
        expect(page.locator("#texts-kk")).to_have_attribute("open", "")
        _shot(page, "forum-texts-form-filled-phone.png")
    finally:
        context.close()
    assert not problems, "\n".join(problems)

    context, page = new_context(browser, live_server, PHONE, lang="kk")
    watch(page, live_server, problems)
    try:
        page.goto(f"/forums/{slug}")
        expect(page.locator("h1")).to_have_text("Қазақстан–Жапония іскерлік форумы")
        info = page.locator(".forum-practical-info .text-pre-line")
        expect(info).to_have_text("Виза қажет емес.\nКиім үлгісі: іскерлік.")
        box = info.bounding_box()
        assert box and box["height"] > 30  # two lines: the line break is kept
        assert page.evaluate(OVERFLOW_JS) <= 0
        _shot(page, "forum-page-kk-phone.png")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
