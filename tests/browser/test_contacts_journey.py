"""Delegates scanning each other, on a phone (390 x 844): a signed-in delegate opens another delegate's badge URL
(what the phone's camera app does with the QR code), sees the card, saves the contact with a note, finds them in
"My contacts", searches in another script, downloads the vCard and it parses with both names. Screenshots of the
card and of My contacts go to /work/shots/issue11/ (or FORUM_SHOTS_DIR)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.helpers import PHONE, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()
SHOTS = Path(os.environ.get("FORUM_SHOTS_DIR", "/work/shots/issue11"))
OVERFLOW_JS = """() => [...document.querySelectorAll('body *')].filter(el => {
  const r = el.getBoundingClientRect(); return r.width && r.right > window.innerWidth + 1 && !el.closest('.table-responsive');
}).map(el => el.tagName + '.' + [...el.classList].join('.')).slice(0, 5)"""

SCANNER = ("山田 太郎", "YAMADA Taro", "JP", "代表取締役社長", "株式会社青葉商事", "Aoba Trading Co., Ltd.")
SCANNED = ("Дінмұхамед Құдайбергенов-Иманғалиев", "Dinmukhamed KUDAIBERGENOV-IMANGALIYEV", "KZ",
           "Халықаралық қатынастар және бизнесті дамыту департаментінің директоры",
           "«Бәйтерек Цифрлық Шешімдер және Инновациялық Технологиялар Орталығы» жауапкершілігі шектеулі серіктестігі",
           "Baiterek Digital Solutions and Innovative Technologies Centre LLP")


@pytest.fixture(scope="module")
def people(live_server):
    slug = seed_forum(live_server, phase="open", title="Central Asia + Japan Business Forum 2026")

    def build():
        import sqlalchemy as sa

        from forum.badges import issuing
        from forum.db import db
        from forum.forums.models import Forum
        from forum.registration import states
        from forum.registration.models import RegState
        from tests import factories

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        regs = []
        for i, (full, latin, country, position, company, company_en) in enumerate((SCANNER, SCANNED)):
            c = factories.company(forum, 1, legal_name=company, name_en=company_en, country=country,
                                  city={"JP": "東京", "KZ": "Астана"}[country], directory_consent=True, contact_email=f"contact{i}-{slug}@example.org",
                                  delegates=[factories.delegate_input(full_name=full, latin_name=latin,
                                                                      position=position,
                                                                      email=f"d{i}-{slug}@example.org")])
            reg = c.delegates[0]
            states.transition(reg, RegState.APPROVED, by=None, notify=False)
            regs.append(reg)
        factories.profile(regs[1].company, offers="Цифрлық шешімдер: e-government, smart city платформалары",
                          seeks="Japanese technology partners", sectors=["energy"])
        regs[0].user.set_password(factories.PASSWORD)
        return {"slug": slug, "email": regs[0].email, "token": issuing.badge_for(regs[1]).token}

    return live_server.seed(build)


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    path.write_bytes(page.screenshot(full_page=True, type="png"))
    return path


def test_a_delegate_scans_another_saves_finds_and_exports_them(browser, live_server, people, tmp_path):
    import vobject

    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, people["email"], "correct horse battery")
        page.goto(f"/b/{people['token']}")
        card = page.locator("#contact-card")
        expect(card).to_contain_text(SCANNED[0])
        expect(card).to_contain_text(SCANNED[1])
        expect(card).to_contain_text(SCANNED[4])
        expect(card).to_contain_text("Kazakhstan")
        expect(card).to_contain_text("Japanese technology partners")
        assert page.evaluate(OVERFLOW_JS) == []
        page.get_by_label("Note").fill("Стенд 12; smart city, позвонить в мае")
        _shot(page, "contact-card-phone.png")
        page.get_by_role("button", name="Save contact").click()
        expect(page.locator("#card-saved")).to_contain_text("Saved on")
        expect(page.get_by_text("Saved in your contacts.")).to_be_visible()
        _shot(page, "contact-card-saved-phone.png")

        page.get_by_role("link", name="My contacts").last.click()
        expect(page.locator("li.contact")).to_have_count(1)
        expect(page.locator("li.contact")).to_contain_text("Стенд 12; smart city, позвонить в мае")
        # the company typed on a Russian keyboard (Бәйтерек -> Байтерек), then the Latin name
        page.get_by_label("Search").fill("байтерек цифрлык")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("li.contact")).to_have_count(1)
        page.get_by_label("Search").fill("kudaibergenov")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("li.contact")).to_contain_text(SCANNED[0])
        assert page.evaluate(OVERFLOW_JS) == []
        _shot(page, "my-contacts-phone.png")

        with page.expect_download() as info:
            page.locator("#export-vcf4").click()
        download = info.value
        assert download.suggested_filename.endswith(".vcf")
        path = tmp_path / "contacts.vcf"
        download.save_as(path)
        cards = list(vobject.readComponents(path.read_text(encoding="utf-8")))
        assert len(cards) == 1
        fns = [line.value for line in cards[0].contents["fn"]]
        assert fns == [SCANNED[0], SCANNED[1]]
        assert cards[0].contents["x-phonetic-last-name"][0].value == "KUDAIBERGENOV-IMANGALIYEV"
        assert cards[0].note.value == "Стенд 12; smart city, позвонить в мае"
        assert cards[0].contents["org"][0].value == [SCANNED[4]]
        # A download "aborts" the navigation that started it: Chromium reports that as a failed request.
        assert [p for p in problems if not ("/contacts/export.vcf" in p and "ERR_ABORTED" in p)] == []
    finally:
        context.close()
