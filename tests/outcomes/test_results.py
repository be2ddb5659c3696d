"""The organizers' results page and its CSV and XLSX exports, on the small hand-counted fixture."""
from __future__ import annotations

import csv
import io

import openpyxl
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.teams.models import Permission
from tests import factories as f

D = "\u2013"


def _url(forum, tail=""):
    return f"/manage/{forum.slug}/b2b/results/{tail}"


def test_the_page_shows_the_funnel_as_charts_and_tables(db, client, login, forum, small):
    login(f.member(forum, Permission.B2B))
    r = client.get(_url(forum))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    # The total funnel: five bars, each with its number as text.
    chart = html[html.index('id="funnel-total"'):]
    chart = chart[:chart.index("</figure>")]
    assert chart.count("<rect") == 5
    assert [v.split("<")[0] for v in chart.split('class="bar-value">')[1:]] == ["7", "5", "3", "2", "1"]
    assert "<title>Requested: 7</title>" in chart
    # The tables, country names in the reader's language.
    assert f"JP{D}KZ (Japan {D} Kazakhstan)" in html and f"KZ{D}UZ (Kazakhstan {D} Uzbekistan)" in html
    assert "by-pair" in html and "by-sector" in html and "Textiles and light industry" in html
    # The outcomes with their next steps.
    assert "=HYPERLINK" in html and "田中 健一 (TANAKA Kenichi)" in html


def test_the_page_in_russian(db, client, login, forum, small):
    login(f.member(forum, Permission.B2B, language="ru"))
    html = client.get(_url(forum)).get_data(as_text=True)
    assert f"JP{D}KZ (Япония {D} Казахстан)" in html


def test_results_need_the_b2b_permission(db, client, login, forum, small):
    tanaka = small["people"][0]
    login(tanaka.user)
    assert client.get(_url(forum)).status_code == 403
    assert client.get(_url(forum, "results.csv")).status_code == 403
    login(f.member(forum, Permission.DOCUMENTS))
    assert client.get(_url(forum, "results.xlsx")).status_code == 403


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))


def test_csv(db, client, login, forum, small):
    login(f.member(forum, Permission.B2B))
    r = client.get(_url(forum, "results.csv"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = _csv_rows(r.data)
    assert rows[0][:7] == ["Section", "Group", "Requested", "Accepted", "Scheduled", "Held", "Cooperation likely"]
    funnel = {(row[0], row[1]): row[2:7] for row in rows[1:] if row and row[0] in ("Total", "Country pair", "Sector")}
    assert funnel[("Total", "")] == ["7", "5", "3", "2", "1"]
    assert funnel[("Country pair", f"JP{D}KZ (Japan {D} Kazakhstan)")] == ["2", "2", "1", "1", "1"]
    assert funnel[("Country pair", f"JP{D}UZ (Japan {D} Uzbekistan)")] == ["2", "1", "1", "0", "0"]
    assert funnel[("Country pair", f"KZ{D}UZ (Kazakhstan {D} Uzbekistan)")] == ["2", "1", "1", "1", "0"]
    assert funnel[("Sector", "IT and telecommunications")] == ["5", "4", "2", "2", "1"]
    outcomes = [row for row in rows if row and row[0] == "Outcome"]
    assert len(outcomes) == 5
    tanaka = next(row for row in outcomes if row[2] == "田中 健一 (TANAKA Kenichi)" and row[7] == "Cooperation likely")
    assert tanaka[1] == "2027-05-20 09:00" and tanaka[3] == "株式会社青葉" and tanaka[4] == "Japan"
    assert tanaka[5] == "Әлия Нұрланқызы (Aliya Nurlankyzy)"
    assert tanaka[8] == "'=HYPERLINK(\"http://x\")"  # neutralised: no formula runs
    assert ["Section", "Meeting (Asia/Almaty)"] == next(row for row in rows[1:] if row and row[0] == "Section")[:2]
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert [(e.details["list"], e.details["format"], e.details["rows"]) for e in audit] == [("b2b_results", "csv", 5)]


def test_xlsx(db, client, login, forum, small):
    login(f.member(forum, Permission.B2B))
    r = client.get(_url(forum, "results.xlsx"))
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    ws = wb.active
    assert ws.title == "Results"
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert rows[0][:7] == ["Section", "Group", "Requested", "Accepted", "Scheduled", "Held", "Cooperation likely"]
    assert rows[1][:7] == ["Total", None, 7, 5, 3, 2, 1]
    pairs = {row[1]: row[2:7] for row in rows if row[0] == "Country pair"}
    assert pairs == {f"JP{D}JP (Japan {D} Japan)": [1, 1, 0, 0, 0], f"JP{D}KZ (Japan {D} Kazakhstan)": [2, 2, 1, 1, 1],
                     f"JP{D}UZ (Japan {D} Uzbekistan)": [2, 1, 1, 0, 0],
                     f"KZ{D}UZ (Kazakhstan {D} Uzbekistan)": [2, 1, 1, 1, 0]}
    sectors = {row[1]: row[2:7] for row in rows if row[0] == "Sector"}
    assert sectors["Mining and metals"] == [1, 0, 0, 0, 0] and len(sectors) == 5
    outcomes = [row for row in rows if row[0] == "Outcome"]
    assert sorted(row[7] for row in outcomes) == sorted(["Cooperation likely", "Informative", "Informative",
                                                         "No common interest", "Did not take place"])
    assert any(row[8] == "'=HYPERLINK(\"http://x\")" for row in outcomes)
