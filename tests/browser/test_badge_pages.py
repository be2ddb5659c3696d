"""The badge desk and the e-badge page in a real browser, under the Content-Security-Policy: the desk at
desktop and phone width with its A4 download, and the delegate's e-badge on a phone, whose QR code as the
browser draws it decodes (zxing-cpp) to the badge's signed token. Screenshots go to screenshots/."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.browser.helpers import DESKTOP, PHONE, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PEOPLE = [  # (full name, Latin name, country, position, company, company in English)
    ("山田 太郎", "YAMADA Taro", "JP", "代表取締役社長", "株式会社青葉商事", "Aoba Trading Co., Ltd."),
    ("Әлия Нұрланқызы", "Aliya Nurlankyzy", "KZ", "Бас директор", "«Қазақстан экспорттаушылар қауымдастығы» ЗТБ",
     "Association of Exporters of Kazakhstan"),
    ("Gʻayrat Yoʻldoshev", "Gʻayrat Yoʻldoshev", "UZ", "Direktor oʻrinbosari", "«Oʻzbek Toʻqimachilik» MChJ",
     "Uzbek Textile LLC"),
    ("Дінмұхамед Құдайбергенов-Иманғалиев", "Dinmukhamed Kudaibergenov-Imangaliyev", "KZ",
     "Head of International Relations and Business Development", "«Бәйтерек Цифрлық Шешімдер» ЖШС",
     "Baiterek Digital Solutions LLP"),
    ("長谷川 真理子", "HASEGAWA Mariko", "JP", "海外事業部長", "一般社団法人 中央アジア経済交流協会",
     "Central Asia Economic Exchange Association"),
]
OVERFLOW_JS = """() => [...document.querySelectorAll('body *')].filter(el => {
  const r = el.getBoundingClientRect(); return r.width && r.right > window.innerWidth + 1 && !el.closest('.table-responsive');
}).map(el => el.tagName + '.' + [...el.classList].join('.')).slice(0, 5)"""


@pytest.fixture(scope="module")
def badge_forum(live_server):
    slug = seed_forum(live_server, phase="open", title="Central Asia + Japan Business Forum 2026")

    def build():
        import sqlalchemy as sa

        from forum.db import db
        from forum.forums.models import Forum
        from forum.registration import states
        from forum.registration.models import Category, RegState
        from tests import factories

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        regs = []
        for i, (full, latin, country, position, company, company_en) in enumerate(PEOPLE):
            c = factories.company(forum, 1, legal_name=company, name_en=company_en, country=country,
                                  contact_email=f"contact{i}-{slug}@example.org",
                                  delegates=[factories.delegate_input(full_name=full, latin_name=latin,
                                                                      position=position,
                                                                      email=f"d{i}-{slug}@example.org")])
            reg = c.delegates[0]
            states.transition(reg, RegState.APPROVED, by=None, notify=False)
            regs.append(reg)
        regs[1].category = Category.SPEAKER
        regs[0].user.set_password(factories.PASSWORD)
        return {"slug": slug, "email": regs[0].email}

    return live_server.seed(build)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / name).write_bytes(page.screenshot(full_page=True, type="png"))


@pytest.mark.parametrize("viewport,name", [(DESKTOP, "badge-desk-desktop.png"), (PHONE, "badge-desk-phone.png")])
def test_the_badge_desk_and_its_a4_download(browser, live_server, organizer, badge_forum, viewport, name):
    from tests.badges import pdfcheck

    context, page = new_context(browser, live_server, viewport)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, organizer["email"], organizer["password"])
        page.goto(f"/manage/{badge_forum['slug']}/badges/")
        expect(page.locator(".count-approved")).to_contain_text("5")
        expect(page.locator("tr.badge-row")).to_have_count(5)
        rows = page.locator("tr.badge-row")  # Japan first (HASEGAWA, YAMADA), then Kazakhstan, then Uzbekistan
        for i, who in enumerate(["長谷川 真理子", "山田 太郎", "Дінмұхамед", "Әлия Нұрланқызы", "Gʻayrat Yoʻldoshev"]):
            expect(rows.nth(i)).to_contain_text(who)
        assert page.evaluate(OVERFLOW_JS) == []
        _shot(page, name)
        if viewport is DESKTOP:
            with page.expect_download() as info:
                page.get_by_role("button", name="A4 sheets (4 per page)").click()
            pdf = Path(info.value.path()).read_bytes()
            # A download ends the form's navigation, which Chromium reports as an aborted request: that is all.
            problems[:] = [p for p in problems if not p.endswith("/badges/download net::ERR_ABORTED")]
            assert len(pdfcheck.qr_codes(pdfcheck.images(pdf)[0])) == 4
            page.reload()
            expect(page.locator(".count-printed")).to_contain_text("5")
    finally:
        context.close()
    assert not problems, problems


def test_the_e_badge_on_a_phone_shows_a_qr_code_that_scans(browser, live_server, badge_forum):
    import zxingcpp
    from PIL import Image

    from forum.badges import keys, tokens

    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        from tests.factories import PASSWORD

        sign_in(page, badge_forum["email"], PASSWORD)
        page.goto("/my")
        page.get_by_role("link", name="My badge").click()
        expect(page.locator(".ebadge-name")).to_have_text("山田 太郎")
        expect(page.locator(".ebadge-band")).to_have_text("Delegate")
        assert page.evaluate(OVERFLOW_JS) == []
        _shot(page, "e-badge-phone.png")
        shot = Image.open(io.BytesIO(page.locator(".ebadge-qr").screenshot(type="png")))
        (found,) = zxingcpp.read_barcodes(shot)

        def public_key():
            import sqlalchemy as sa

            from forum.db import db
            from forum.forums.models import Forum

            return keys.public_key(db.session.scalar(sa.select(Forum).where(Forum.slug == badge_forum["slug"])))

        assert found.text.startswith(f"{live_server.url}/b/")
        assert tokens.verify(live_server.seed(public_key), found.text)
    finally:
        context.close()
    assert not problems, problems
