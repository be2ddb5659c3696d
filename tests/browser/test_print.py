"""Printing the organizer's lists: Chromium's PDF (what "Print → Save as PDF" gives) of the review list's
print view, of the participant list, and of the ordinary list page printed as it is.

The PDFs are read back with pypdf: the number of pages for N rows, every row once, the forum and the
filter on every page, the page numbers from the CSS page-margin box (forum/static/css/print.css), no
navigation or buttons. They are also written to screenshots/ (and, where poppler's pdftoppm is installed,
as PNG pages) for a person to look at.
"""
from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.browser.helpers import DESKTOP, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()
pypdf = pytest.importorskip("pypdf", reason="pypdf is in the test extra: pip install -e '.[test]'")

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TITLE = "Almaty Print Forum 2026"
N_KZ = 75  # approved Kazakh delegates: the filter's rows, over several A4 pages
A4_LANDSCAPE = (842, 595)  # points, rounded


@pytest.fixture(scope="module")
def printable(live_server, organizer):
    """A forum with 75 approved delegates from Kazakhstan, 5 approved from Japan, 6 pending from Kazakhstan."""
    import sqlalchemy as sa

    from forum.accounts.models import User
    from forum.db import db
    from forum.forums.models import Forum
    from forum.review import services as review
    from tests import factories

    slug = seed_forum(live_server, phase="open", title=TITLE)

    def build():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        org = db.session.scalar(sa.select(User).where(User.email == organizer["email"]))
        kz = [factories.company(forum, 1, country="KZ", sector="energy", legal_name=f"ТОО «Қазақ Энерго {i:03d}»",
                                name_en=f"Kazakh Energo {i:03d} LLP",
                                delegates=[factories.delegate_input(full_name=f"Қасымов Ерлан {i:03d}",
                                                                    latin_name=f"KASSYMOV ROWKZ{i:03d}")])
              for i in range(N_KZ)]
        jp = [factories.company(forum, 1, country="JP", delegates=[factories.delegate_input(
            full_name=f"山田 太郎 {i}", latin_name=f"YAMADA ROWJP{i:03d}")]) for i in range(5)]
        pending = [factories.company(forum, 1, country="KZ", delegates=[factories.delegate_input(
            full_name=f"Әлия {i}", latin_name=f"NURLANKYZY ROWPENDING{i:03d}")]) for i in range(6)]
        for c in kz + jp:
            review.decide(c.delegates[0], "approve", by=org)
        assert pending
        return slug

    return live_server.seed(build)


@pytest.fixture(scope="module")
def organizer_page(browser, live_server, organizer):
    context, page = new_context(browser, live_server, DESKTOP)
    problems: list[str] = []
    watch(page, live_server, problems)
    sign_in(page, organizer["email"], organizer["password"])
    yield page
    context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)


def pdf_of(page, name: str) -> list[str]:
    """The page's PDF as Chromium prints it (the stylesheet's @page size), saved for people; its pages' text."""
    SHOTS.mkdir(exist_ok=True)
    body = page.pdf(prefer_css_page_size=True, print_background=True)
    (SHOTS / f"{name}.pdf").write_bytes(body)
    if shutil.which("pdftoppm"):  # PNG pages to look at (poppler-utils); the asserts below do not need it
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(SHOTS / f"{name}.pdf"), str(SHOTS / name)],
                       check=True, timeout=60)
    reader = pypdf.PdfReader(io.BytesIO(body))
    for p in reader.pages:
        assert (round(float(p.mediabox.width)), round(float(p.mediabox.height))) == A4_LANDSCAPE
    # NFKC: the PDF's text has ligatures ('ﬁ' in "filter") where the page had two letters.
    return [unicodedata.normalize("NFKC", p.extract_text()) for p in reader.pages]


def rows_on(text: str, prefix: str) -> list[str]:
    return re.findall(rf"{prefix}\d{{3}}", text)


def test_the_printout_of_a_filter_has_every_row_once_on_numbered_pages_that_name_forum_and_filter(
        organizer_page, printable):
    page = organizer_page
    page.goto(f"/manage/{printable}/registrations?country=KZ&state=approved")
    with page.expect_navigation():
        page.get_by_role("link", name="Print").click()
    assert "print=1" in page.url and "country=KZ" in page.url
    expect(page.get_by_role("button", name="Print")).to_be_visible()  # on screen: the bar to print from
    pages = pdf_of(page, "print-registrations")

    rows = [rows_on(text, "ROWKZ") for text in pages]
    assert sorted(r for page_rows in rows for r in page_rows) == [f"ROWKZ{i:03d}" for i in range(N_KZ)]
    per_page = len(rows[0])
    assert 12 <= per_page < N_KZ, per_page  # several rows to a page, and more than one page
    assert len(pages) == math.ceil(N_KZ / per_page), [len(r) for r in rows]
    assert all(len(r) == per_page for r in rows[:-1])  # full pages, then the rest
    for number, text in enumerate(pages, 1):
        assert TITLE in text
        assert "Filter: State: approved; Country: Kazakhstan" in text  # the header repeats on every page
        assert f"{number} / {len(pages)}" in text  # the page number, from the @page margin box
        assert "Registered" in text and "E-mail" in text  # the column headings, and the last columns fit
        # Nothing of the screen: the bar with the buttons, the site's navigation.
        assert "print view" not in text and "Back" not in text and "Sign out" not in text
    everything = "\n".join(pages)
    assert "ROWJP" not in everything and "ROWPENDING" not in everything  # outside the filter
    assert f"{N_KZ} registrations" in pages[0]
    assert all("@example.jp" in t for t in pages)  # the e-mail column is on the sheet, not cut off


def test_the_participant_list_prints_approved_delegates_by_country_then_name(organizer_page, printable):
    page = organizer_page
    page.goto(f"/manage/{printable}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Participant list (print)").click()
    pages = pdf_of(page, "print-participants")
    everything = "\n".join(pages)
    found = re.findall(r"ROW(?:KZ|JP|PENDING)\d{3}", everything)
    # Japan before Kazakhstan (by the country's name), then by Latin name; nobody pending.
    assert found == [f"ROWJP{i:03d}" for i in range(5)] + [f"ROWKZ{i:03d}" for i in range(N_KZ)]
    for number, text in enumerate(pages, 1):
        assert TITLE in text and "Participant list · 80 approved delegates" in text
        assert f"{number} / {len(pages)}" in text
        assert re.search(r"ROW(KZ|JP)\d{3}", text), f"page {number} of {len(pages)} has no row"  # no empty page
    assert len(pages) > 1


def test_printing_the_list_page_itself_leaves_out_navigation_buttons_and_the_filters_form(organizer_page, printable):
    page = organizer_page
    page.goto(f"/manage/{printable}/registrations?country=JP")
    text = "\n".join(pdf_of(page, "print-list-page"))
    assert len(rows_on(text, "ROWJP")) == 5
    for screen_only in ("Export CSV", "Apply to selected", "Sign out", "Late entries", "Search"):
        assert screen_only not in text, screen_only
    assert "Country: Japan" in text  # the active filter is named
