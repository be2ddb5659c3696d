"""The run-sheet and the outcome report as PDF (documents.pdf): every script prints (the text is read back out of
the file), the proxy reads as announced and as written, sides are named, confidential documents are counted
and not listed, a withheld value is not printed, long sheets flow onto more pages, and the badge font is
embedded."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest

from forum.documents import ceremony, pdf
from forum.teams.models import Permission
from tests import factories as f

KAZAKH = "Қазақстан сауда-өнеркәсіп палатасы: әріптестік, өңір, үміт, ұлттық, ірі, ғылым"
JAPANESE = "中央アジアと日本の水処理技術協力に関する覚書"
UZBEK = "Oʻzbekiston Respublikasi Qishloq xoʻjaligi vazirligi, Gʻallaorol filiali"
PROXY = dict(organisation=UZBEK, country="UZ", kind="government", signatory_name="Gʻayrat Oʻrinboyev",
             signatory_position="Branch manager", capacity="on_behalf", principal_name="Ренат Жақсыбеков",
             principal_position="Director", poa_reference="PoA-2024-17", exchanged_by_name="Айгүл Нұрланова",
             exchanged_by_position="Deputy director", side="right")
CHAMBER = dict(organisation=KAZAKH, country="KZ", kind="association", signatory_name="Әлихан Сәрсенов",
               signatory_position="Chairman", side="left")
JP = dict(organisation="青葉商事株式会社", country="JP", kind="private_company", signatory_name="青葉 太郎",
          signatory_position="代表取締役社長", side="left")


def text_of(data: bytes) -> str:
    """The text of a PDF: poppler's pdftotext when installed, else pypdf."""
    assert data.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
        text = out.stdout.decode("utf-8")
    else:
        from pypdf import PdfReader

        text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return text


def flat(text: str) -> str:
    """Wrapped lines joined again (a Japanese line breaks between characters: no space then)."""
    cjk = "\u3040-\u30ff\u3400-\u9fff"
    joined = re.sub(rf"(?<=[{cjk}])[ \t]*\n\s*(?=[{cjk}])", "", text)
    return re.sub(r"\s*\n\s*", " ", joined)


def assert_font_embedded(data: bytes) -> None:
    """One font in the file, the badges' VL PGothic, its program embedded with a Unicode map."""
    from tests.badges.pdfcheck import fonts

    found = fonts(data)
    assert found and all(x["embedded"] and x["subtype"] == "/TrueType" and x["to_unicode"] for x in found)
    assert {x["name"].split("+", 1)[1] for x in found} == {"VL-PGothic-Regular"}


def pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


@pytest.fixture()
def forum(db):
    forum = f.forum(slug="central-asia-japan")
    ceremony.update_register(forum, "CAJ-2024", ["ja", "kk", "uz", "en"], "2026-12-07 10:00",
                             "Тәуелсіздік сарайы, Astana", by=None)
    return forum


# --- the run-sheet --------------------------------------------------------------------------------------------------

def test_the_run_sheet_prints_every_script_the_proxy_as_announced_and_the_sides(client, forum, login):
    doc = f.document(forum, parties=[CHAMBER, PROXY], exchanged=False,
                     titles={"en": "MOU on water treatment", "ja": JAPANESE, "kk": "Су тазарту туралы меморандум",
                             "uz": "Suv tozalash boʻyicha memorandum", "ru": "Не печатается на этом листе"})
    ceremony.add(doc)
    login(f.member(forum, Permission.DOCUMENTS))
    r = client.get(f"/manage/{forum.slug}/documents/ceremony/run-sheet.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = flat(text_of(r.data))
    assert JAPANESE in text
    assert "Су тазарту туралы меморандум" in text and "Suv tozalash boʻyicha memorandum" in text
    assert "Не печатается" not in text  # Russian is not a language of this event
    assert "Gʻayrat Oʻrinboyev, Branch manager, on behalf of Ренат Жақсыбеков" in text
    assert "Айгүл Нұрланова, Deputy director" in text
    assert "Әлихан Сәрсенов, Chairman" in text
    for letter in "қәөүұіңғ":
        assert letter in text, letter
    assert "ʻ" in text
    assert "Left" in text and "Right" in text
    assert f"1. {doc.reference}" in text and "Memorandum of understanding" in text
    assert "Тәуелсіздік сарайы, Astana" in text and "10:00" in text and "Asia/Almaty" in text
    assert "Page 1" in text
    assert_font_embedded(r.data)


def test_the_run_sheet_grows_a_page_at_a_time_for_40_documents(forum):
    def sheet(n):
        item = SimpleNamespace(position=1, reference="CAJ-2024-001", kind="Memorandum of understanding",
                               exchanged=False, titles=[("Japanese", JAPANESE), ("Kazakh", KAZAKH)],
                               parties=[SimpleNamespace(organisation=UZBEK, country="Uzbekistan",
                                                        announcement="Gʻayrat Oʻrinboyev, Branch manager",
                                                        exchanged_by="", side="left", side_label="Left")] * 2)
        return pdf.run_sheet(forum_title="Forum", heading="Run-sheet", place="", when="", items=[item] * n,
                             words={"side": "Side", "party": "Party", "announced": "Announced as",
                                    "exchanged_by": "Exchanged on stage by", "page": "Page %(num)d",
                                    "none": "None", "exchanged": "Exchanged"})

    one, forty = sheet(1), sheet(40)
    assert pages(one) == 1
    assert pages(forty) >= 8
    assert f"Page {pages(forty)}" in text_of(forty)


def test_a_long_title_wraps_and_is_printed_whole(forum):
    long_title = " ".join(["Меморандум о стратегическом сотрудничестве в области возобновляемой энергетики"] * 6)
    long_ja = JAPANESE * 8
    doc = f.document(forum, titles={"kk": long_title, "ja": long_ja})
    ceremony.add(doc)
    items = ceremony.run_sheet_items(forum)
    data = pdf.run_sheet(forum_title="F", heading="H", place="", when="", items=items,
                         words={"side": "Side", "party": "Party", "announced": "Announced as",
                                "exchanged_by": "By", "page": "Page %(num)d", "none": "-", "exchanged": "Done"})
    text = flat(text_of(data))
    assert long_title in text
    assert long_ja in text


# --- the outcome report -------------------------------------------------------------------------------------------

def test_the_outcome_report_lists_public_documents_in_every_script_and_counts_the_confidential(client, forum,
                                                                                              login):
    listed = f.document(forum, parties=[JP, PROXY], titles={"ja": JAPANESE, "en": "Water MOU"},
                        sectors=("energy",))
    withheld = f.document(forum, parties=[CHAMBER, JP], kind="agreement", confidentiality="value_withheld",
                          titles={"kk": KAZAKH}, value_minor=987654321, currency="USD", sectors=("energy",))
    secret = f.document(forum, parties=[CHAMBER, PROXY], kind="contract", confidentiality="confidential",
                        titles={"en": "Strictly confidential supply contract"}, sectors=("mining",))
    valued = f.document(forum, parties=[CHAMBER, JP], titles={"en": "Rail freight MOU"}, value_minor=123456,
                        currency="USD", sectors=("energy",))
    not_yet = f.document(forum, exchanged=False, titles={"en": "Not exchanged yet"})
    login(f.member(forum, Permission.DOCUMENTS))
    r = client.get(f"/manage/{forum.slug}/documents/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = flat(text_of(r.data))
    assert "4 documents exchanged: 2 MOUs, 1 agreement, 1 contract" in text  # the confidential one counts
    assert secret.reference not in text and "Strictly confidential" not in text
    assert not_yet.reference not in text and "Not exchanged yet" not in text
    for doc in (listed, withheld, valued):
        assert doc.reference in text
    assert JAPANESE in text and KAZAKH in text and UZBEK in text and "青葉商事株式会社" in text
    assert "Gʻayrat Oʻrinboyev (on behalf of Ренат Жақсыбеков, Director)" in text
    assert "青葉 太郎, 代表取締役社長" in text
    assert "Value withheld" in text
    assert "9,876,543.21" not in text and "9876543" not in text
    assert "$1,234.56" in text
    assert "Japan – Kazakhstan" in text and "Japan – Uzbekistan" in text and "Kazakhstan – Uzbekistan" in text
    assert "Energy, oil and gas" in text and "Mining and metals" in text
    assert "Confidential documents are counted but not listed" in text
    assert "Report of" in text
    assert_font_embedded(r.data)


def test_the_report_with_nothing_exchanged_says_so(forum):
    from forum.documents import outcome

    text = flat(text_of(pdf.outcome_report(outcome.report(forum))))
    assert "No documents have been exchanged at this forum yet." in text and "No documents are listed yet." in text


def test_the_pdfs_are_for_the_documents_team_only(client, forum, login):
    login(f.member(forum, Permission.CHECKIN))
    assert client.get(f"/manage/{forum.slug}/documents/report.pdf").status_code == 403
    assert client.get(f"/manage/{forum.slug}/documents/ceremony/run-sheet.pdf").status_code == 403
