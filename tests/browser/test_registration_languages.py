"""The registration form in Kazakh and Uzbek on a phone (issue 13): every label in the language, nothing wider than
the screen (long Kazakh and Uzbek words wrap), the Uzbek modifier letters as written. Screenshots go to
screenshots/ (look at them: no missing glyphs)."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from tests.browser.helpers import PHONE, new_context, playwright_expect, seed_forum, watch

expect = playwright_expect()
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
OVERFLOW_JS = """() => [...document.querySelectorAll('body *')].filter(el => {
  const r = el.getBoundingClientRect(); return r.width && r.right > window.innerWidth + 1;
}).map(el => el.tagName + '.' + [...el.classList].join('.')).slice(0, 5)"""


@pytest.mark.parametrize("lang", ["kk", "uz"])
def test_the_registration_form_on_a_phone_in_kazakh_and_uzbek(app, browser, live_server, lang):
    slug = seed_forum(live_server, phase="open", title="Central Asia + Japan Business Forum")
    context, page = new_context(browser, live_server, PHONE, lang=lang)
    problems: list[str] = []
    watch(page, live_server, problems)
    page.goto(f"/forums/{slug}/register")
    with app.app_context(), force_locale(lang):
        heading, email = _("Register your company"), _("Contact e-mail")
    assert heading != "Register your company"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_label(email, exact=False)).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == lang
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / f"registration-{lang}-phone.png").write_bytes(page.screenshot(full_page=True, type="png"))
    assert page.evaluate(OVERFLOW_JS) == []
    if lang == "uz":
        text = page.locator("main").inner_text()
        assert "roʻyxat" in text.lower() and "ro'yxat" not in text.lower()
    context.close()
    assert not problems, problems
