"""The documents register's Done-when, through real pages: at the ceremony an organizer with the documents
permission records an MOU on a tablet (a Japanese company's delegate picked by typing part of the name, the Kazakh
chamber of commerce typed in, its signatory signing on behalf of its chairman), attaches the scan, adds it to the
ceremony, taps "Exchanged" in the live view on a phone; the public page's tally and country pair move; the
run-sheet and the outcome report print the titles and the proxy. No page is wider than the tablet or the phone.
Screenshots into screenshots/ (documents-journey-*.png)."""
from __future__ import annotations

import hashlib
import re
import subprocess
import time
from pathlib import Path

from tests.browser.helpers import DESKTOP, PHONE, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TABLET = {"width": 768, "height": 1024}
PREFIX = "CAJ-2027"
REFERENCE = f"{PREFIX}-001"

MEMBER_EMAIL = "documents-desk@example.org"
JA_COMPANY, JA_COMPANY_EN = "株式会社あおば水工", "Aoba Water Works K.K."
JA_NAME, JA_LATIN, JA_POSITION = "青葉 健太", "AOBA Kenta", "代表取締役社長"
KZ_CHAMBER = "Қазақстан сауда-өнеркәсіп палатасы"
PROXY, PROXY_POSITION = "Бахтиёр Каримов", "Заместитель председателя"
PRINCIPAL, PRINCIPAL_POSITION = "Ерлан Сейітов", "Председатель"
POA = "№ 12/2027 от 3 мая 2027"
TITLE_RU = "Меморандум о сотрудничестве в области водоочистки"
TITLE_JA = "水処理分野における協力に関する覚書"
PROXY_LINE = f"{PROXY} (on behalf of {PRINCIPAL}, {PRINCIPAL_POSITION})"
ANNOUNCED = f"{PROXY}, {PROXY_POSITION}, on behalf of {PRINCIPAL}"


def _seed(live_server, slug: str) -> None:
    """The register (prefix, event languages ru/ja/en), a team member with the documents permission only, and a
    Japanese company with an approved delegate whose name is in Japanese."""
    import sqlalchemy as sa

    from forum.db import db
    from forum.documents.models import DocumentRegister
    from forum.forums.models import Forum
    from forum.security import Permission
    from tests import factories

    def build():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        db.session.add(DocumentRegister(forum_id=forum.id, prefix=PREFIX, next_number=1, languages=["ru", "ja", "en"],
                                        ceremony_place="Palace of Independence, main hall"))
        factories.member(forum, Permission.DOCUMENTS, email=MEMBER_EMAIL, name="Гүлнара Әбенова")
        factories.approved(forum, legal_name=JA_COMPANY, name_en=JA_COMPANY_EN, country="JP", city="大阪",
                           full_name=JA_NAME, latin_name=JA_LATIN, position=JA_POSITION,
                           email="aoba@aoba-water.jp")

    live_server.seed(build)


def _fits(page, where: str) -> None:
    """Nothing on the page is wider than the screen."""
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{where}: {scroll_width}px wide on a {inner_width}px screen"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"documents-journey-{name}.png"), full_page=True)


def _pdf_text(page, link_name: str, tmp_path: Path) -> str:
    """Follow the page's link to a PDF with the page's session; its text as pdftotext reads it."""
    href = page.get_by_role("link", name=link_name).get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200, (href, response.status)
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF-")
    path = tmp_path / (re.sub(r"\W+", "-", link_name) + ".pdf")
    path.write_bytes(body)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def _scan(tmp_path: Path) -> Path:
    """A small signed-copy PDF."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "mou-signed.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(72, 720, f"{REFERENCE} signed copy")
    c.save()
    return path


def test_an_organizer_records_an_mou_at_the_ceremony_and_the_public_tally_moves(browser, live_server, tmp_path):
    from tests import factories

    slug = seed_forum(live_server, phase="open", title="Central Asia + Japan Business Forum")
    _seed(live_server, slug)
    scan = _scan(tmp_path)
    scan_sha256 = hashlib.sha256(scan.read_bytes()).hexdigest()
    SHOTS.mkdir(exist_ok=True)
    problems: list[str] = []

    context, page = new_context(browser, live_server, TABLET)
    watch(page, live_server, problems)
    try:
        sign_in(page, MEMBER_EMAIL, factories.PASSWORD)
        page.goto(f"/manage/{slug}/documents/")
        _fits(page, "register list (tablet)")
        page.get_by_role("link", name="Record a document").click()
        expect(page).to_have_url(re.compile(rf"/manage/{slug}/documents/new$"))

        # --- the record form, filled as a person at the ceremony would -------------------------------------
        started = time.monotonic()
        page.get_by_label("Type", exact=True).select_option(label="Memorandum of understanding")
        page.get_by_label("Russian (ru)").fill(TITLE_RU)
        page.get_by_label("Japanese (ja)").fill(TITLE_JA)
        page.locator("#authoritative-ru").check()

        party1 = page.locator("#party-0")
        # Part of the name as written natively, typed key by key as the picker hears it.
        party1.get_by_label("Find a registered delegate (any script)").press_sequentially(JA_NAME[:2], delay=80)
        party1.locator("[data-picker-results] button", has_text=JA_NAME).click()
        expect(party1.get_by_label("Signed by")).to_have_value(JA_NAME)
        expect(party1.get_by_label("Position", exact=True)).to_have_value(JA_POSITION)
        expect(party1.locator("[data-picker-linked]")).to_contain_text(JA_NAME)
        party1.get_by_label("Kind of party").select_option(label="Private company")

        party2 = page.locator("#party-1")
        party2.get_by_label("Organisation", exact=True).fill(KZ_CHAMBER)
        party2.get_by_label("Country", exact=True).select_option(label="Kazakhstan")
        party2.get_by_label("Kind of party").select_option(label="Association or chamber of commerce")
        party2.get_by_label("Signed by").fill(PROXY)
        party2.get_by_label("Position", exact=True).fill(PROXY_POSITION)
        party2.get_by_label("On behalf of someone (power of attorney)").check()
        party2.get_by_label("On behalf of (name)").fill(PRINCIPAL)
        party2.get_by_label("Principal's position").fill(PRINCIPAL_POSITION)
        party2.get_by_label("Power of attorney reference").fill(POA)

        page.get_by_text("Sectors, value, jobs, B2B meetings").click()
        page.get_by_label("Energy, oil and gas").check()
        page.get_by_label("Value", exact=True).fill("1,000,000")
        page.get_by_label("Currency", exact=True).select_option("USD")
        page.get_by_label("Scanned signed copy (PDF or image)").set_input_files(str(scan))
        _fits(page, "record form (tablet)")
        _shot(page, "record-tablet")
        page.get_by_role("button", name="Record the document").click()

        expect(page.get_by_role("heading", level=2, name=re.compile(REFERENCE))).to_be_visible()
        seconds = time.monotonic() - started
        print(f"\nRecording {REFERENCE} took {seconds:.1f} s from the open form to its detail page")

        # --- the detail page -------------------------------------------------------------------------------
        expect(page.get_by_role("status").filter(has_text=f"Recorded as {REFERENCE}.")).to_be_visible()
        lines = page.locator(".party .signatory-line")
        expect(lines).to_have_text([f"{JA_NAME}, {JA_POSITION}", PROXY_LINE])
        expect(page.locator(".party .linked-delegate")).to_have_text(JA_NAME)
        expect(page.locator(".party .poa")).to_have_text(POA)
        expect(page.locator(".titles .authoritative")).to_have_count(1)
        expect(page.locator(".titles li[lang=ru] .authoritative")).to_have_count(1)
        expect(page.locator(".facts .value")).to_contain_text("1,000,000")
        expect(page.locator("#scans code")).to_have_text(scan_sha256)
        history = page.locator(".history")
        expect(history.locator(".history-entry")).to_have_count(2)
        expect(history).to_contain_text(scan_sha256)
        expect(history).not_to_contain_text("{'")  # the record's snapshot is not printed as a Python dict
        _fits(page, "detail page (tablet)")
        _shot(page, "detail-tablet")
        page.set_viewport_size(PHONE)
        _fits(page, "detail page (phone)")
        _shot(page, "detail-phone")
        page.set_viewport_size(TABLET)

        # --- the ceremony: add it, then the live view on a phone ---------------------------------------------
        page.get_by_role("link", name="Ceremony", exact=True).click()
        page.get_by_role("button", name=f"Add to the ceremony {REFERENCE}").click()
        expect(page.locator("ol > li.card")).to_have_count(1)
        expect(page.get_by_text("0 of 1 exchanged")).to_be_visible()
        _fits(page, "ceremony plan (tablet)")

        page.set_viewport_size(PHONE)
        page.get_by_role("link", name="Live view").click()
        progress = page.locator("[data-progress]")
        expect(progress).to_have_text("0 of 1 exchanged")
        expect(page.locator("[data-doc]").get_by_text(ANNOUNCED)).to_be_visible()
        page.get_by_role("button", name=f"Exchanged {REFERENCE}").click()
        expect(progress).to_have_text("1 of 1 exchanged")
        expect(page.locator("[data-tally]")).to_have_text("1 document exchanged: 1 MOU")
        expect(page.locator("[data-doc]")).to_have_attribute("data-exchanged", "true")
        _fits(page, "live view (phone)")
        _shot(page, "live-phone")
        page.set_viewport_size(TABLET)

        # --- the PDFs, through the ceremony pages' links -------------------------------------------------------
        run_sheet = _pdf_text(page, "Run-sheet (PDF)", tmp_path)
        for text in (TITLE_JA, TITLE_RU, ANNOUNCED, KZ_CHAMBER, JA_NAME):
            assert text in run_sheet, (text, run_sheet)
        report = _pdf_text(page, "Outcome report (PDF)", tmp_path)
        for text in (TITLE_JA, TITLE_RU, PROXY_LINE, REFERENCE):
            assert text in report, (text, report)

        # --- the register list on a desktop ----------------------------------------------------------------------
        page.set_viewport_size(DESKTOP)
        page.goto(f"/manage/{slug}/documents/")
        expect(page.get_by_text(REFERENCE).first).to_be_visible()
        _shot(page, "list-desktop")
    finally:
        context.close()

    # --- the public page, signed out, on a phone and a desktop -------------------------------------------------
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context, public = new_context(browser, live_server, viewport)
        watch(public, live_server, problems)
        try:
            public.goto(f"/forums/{slug}/documents/")
            expect(public.locator("#tally-sentence")).to_have_text("1 document exchanged: 1 MOU")
            pair = public.locator("#pairs tbody tr")
            expect(pair).to_have_count(1)
            expect(pair).to_have_attribute("data-pair", "JP-KZ")
            expect(pair.locator("td")).to_have_text(["Japan – Kazakhstan", "1"])
            listed = public.locator("#documents tbody tr")
            expect(listed).to_have_count(1)
            expect(listed).to_contain_text(REFERENCE)
            expect(listed).to_contain_text(PROXY_LINE)
            expect(listed).to_contain_text(KZ_CHAMBER)
            _fits(public, f"public page ({name})")
            _shot(public, f"public-{name}")
        finally:
            context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)
