"""The register's export (/manage/<slug>/documents/export.csv|xlsx): the filtered list, every column, every script
intact, formulas neutralised, UTF-8 with a BOM for Excel, XLSX that openpyxl and LibreOffice read, audited."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, datetime, timezone

import openpyxl
import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.db import db as _db
from forum.documents.models import FollowUpStatus
from forum.teams.models import Permission
from tests import factories as f
from tests.documents.helpers import JP, KZ, UZ, keyed, withdraw
from tests.test_query_counts import counting

EXCHANGED = datetime(2026, 3, 10, 20, 30, tzinfo=timezone.utc)  # 11 March, 01:30 in Astana

HEADER = [
    "Number", "Type", "Title (English)", "Title (Japanese)", "Title (Russian)", "Title (Kazakh)", "Title (Uzbek)",
    "Authoritative language", "Date", "Place", "Ceremony", "Parties", "Countries", "Party kinds", "Signatories",
    "Country pairs", "Sectors", "Value", "Currency", "Expected jobs", "Confidentiality", "Counts in the tally",
    "Exchanged at (Asia/Almaty)", "Follow-up status", "Next review", "Withdrawn: reason",
]
PROXY = dict(organisation="Aoba Trading, Oʻzbekiston filiali", country="UZ", kind="private_company",
             signatory_name="Jasur Toʻxtayev", signatory_position="Branch manager", capacity="on_behalf",
             principal_name="青葉 一郎", principal_position="Director", poa_reference="PoA-2026/17")


@pytest.fixture()
def world(db):
    forum = f.forum(slug="central-asia-japan", tz="Asia/Almaty")
    mou = keyed(f.document(forum, kind="mou", parties=[JP, KZ], sectors=("energy",),
                           titles={"ja": "水処理に関する覚書", "en": "MOU on water treatment"},
                           next_review_on=date(2026, 3, 11), signed_on=date(2026, 3, 11),
                           place="Astana"))
    mou.exchanged_at = EXCHANGED
    agreement = keyed(f.document(forum, kind="agreement", parties=[KZ, UZ], sectors=("agriculture", "trade"),
                                 titles={"kk": "Ауыл шаруашылығы туралы келісім", "ru": "=1+1 Соглашение"},
                                 ceremony="sidelines", confidentiality="value_withheld", value_minor=150_000_050,
                                 currency="KZT", expected_jobs=40, status=FollowUpStatus.IN_PROGRESS))
    contract = keyed(f.document(forum, kind="contract", parties=[PROXY, JP], sectors=("it",),
                                titles={"uz": "Qoʻshma korxona toʻgʻrisida shartnoma", "en": '=HYPERLINK("http://x")'},
                                ceremony="b2b_table", confidentiality="confidential", value_minor=1_000_000,
                                currency="JPY", counts=False, exchanged=False, status=FollowUpStatus.STALLED))
    gone = keyed(withdraw(f.document(forum, parties=[JP, KZ, UZ], titles={"en": "Trilateral MOU"}),
                          "@SUM(1;2) signed twice"))
    f.document(f.forum(slug="other-forum"), titles={"en": "Another forum's MOU"})
    org = f.member(forum, Permission.DOCUMENTS, name="Гүлнар Ержанова")
    _db.session.flush()
    return dict(forum=forum, mou=mou, agreement=agreement, contract=contract, gone=gone, org=org)


def _csv(client, login, w, qs: str = "") -> list[dict]:
    login(w["org"])
    r = client.get(f"/manage/central-asia-japan/documents/export.csv{qs}")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == 'attachment; filename="central-asia-japan-documents.csv"'
    assert r.data.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"), newline="")))
    return [header, *[dict(zip(header, row, strict=True)) for row in rows]]


def test_the_csv_has_every_column_and_every_script_intact(client, login, world):
    header, mou, agreement, contract = _csv(client, login, world)
    assert header == HEADER
    assert mou == {
        "Number": world["mou"].reference, "Type": "Memorandum of understanding",
        "Title (English)": "MOU on water treatment", "Title (Japanese)": "水処理に関する覚書", "Title (Russian)": "",
        "Title (Kazakh)": "", "Title (Uzbek)": "", "Authoritative language": "Japanese", "Date": "2026-03-11",
        "Place": "Astana", "Ceremony": "Main stage",
        "Parties": "株式会社青葉商事\nҚазақстан сауда-өнеркәсіп палатасы", "Countries": "Japan\nKazakhstan",
        "Party kinds": "Private company\nAssociation or chamber of commerce",
        "Signatories": "青葉 太郎, 代表取締役\nӘлихан Сәрсенов, Төраға", "Country pairs": "Japan – Kazakhstan",
        "Sectors": "Energy, oil and gas", "Value": "", "Currency": "", "Expected jobs": "",
        "Confidentiality": "Public", "Counts in the tally": "Yes", "Exchanged at (Asia/Almaty)": "2026-03-11 01:30",
        "Follow-up status": "Signed", "Next review": "2026-03-11", "Withdrawn: reason": "",
    }
    assert agreement["Title (Kazakh)"] == "Ауыл шаруашылығы туралы келісім"
    assert agreement["Authoritative language"] == "Kazakh"
    assert agreement["Country pairs"] == "Kazakhstan – Uzbekistan"
    assert agreement["Parties"] == "Қазақстан сауда-өнеркәсіп палатасы\nOʻzbekiston savdo-sanoat palatasi"
    assert agreement["Signatories"] == "Әлихан Сәрсенов, Төраға\nGʻayrat Oʻrinboyev, Rais oʻrinbosari"
    assert agreement["Sectors"] == "Agriculture and food, Trade and distribution"
    assert (agreement["Value"], agreement["Currency"], agreement["Expected jobs"]) == ("1500000.5", "KZT", "40")
    assert agreement["Confidentiality"] == "Public, value withheld"
    assert agreement["Follow-up status"] == "In progress" and agreement["Ceremony"] == "On the sidelines"
    assert contract["Title (Uzbek)"] == "Qoʻshma korxona toʻgʻrisida shartnoma"
    assert contract["Signatories"] == "Jasur Toʻxtayev (on behalf of 青葉 一郎, Director)\n青葉 太郎, 代表取締役"
    assert contract["Country pairs"] == "Japan – Uzbekistan"
    assert (contract["Value"], contract["Currency"]) == ("1000000", "JPY")  # yen have no minor units
    assert contract["Counts in the tally"] == "No" and contract["Exchanged at (Asia/Almaty)"] == ""
    assert contract["Confidentiality"] == "Confidential"  # the team's export is complete


def test_a_formula_looking_title_is_neutralised(client, login, world):
    _header, _mou, agreement, contract = _csv(client, login, world)
    assert agreement["Title (Russian)"] == "'=1+1 Соглашение"
    assert contract["Title (English)"] == "'=HYPERLINK(\"http://x\")"
    _header, gone = _csv(client, login, world, "?withdrawn=only")
    assert gone["Withdrawn: reason"] == "'@SUM(1;2) signed twice"


@pytest.mark.parametrize("qs, expected", [
    ("", ["mou", "agreement", "contract"]),
    ("?pair=UZ-KZ", ["agreement"]),
    ("?pair=JP-KZ&withdrawn=include", ["mou", "gone"]),
    ("?withdrawn=only", ["gone"]),
    ("?q=qoshma", ["contract"]),
    ("?confidentiality=confidential", ["contract"]),
    ("?kind=bogus&country=XX", ["mou", "agreement", "contract"]),
])
def test_the_filter_applies(client, login, world, qs, expected):
    _header, *rows = _csv(client, login, world, qs)
    assert [r["Number"] for r in rows] == [world[n].reference for n in expected]


def test_the_xlsx_reads_back_with_openpyxl(client, login, world):
    login(world["org"])
    r = client.get("/manage/central-asia-japan/documents/export.xlsx?withdrawn=include")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(r.data), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == HEADER
    rows = [dict(zip(header, row)) for row in rows]
    assert [row["Number"] for row in rows] == [world[n].reference for n in ("mou", "agreement", "contract", "gone")]
    mou, agreement, contract, gone = rows
    assert mou["Title (Japanese)"] == "水処理に関する覚書"
    assert mou["Signatories"] == "青葉 太郎, 代表取締役\nӘлихан Сәрсенов, Төраға"
    assert agreement["Title (Kazakh)"] == "Ауыл шаруашылығы туралы келісім"
    assert agreement["Title (Russian)"] == "'=1+1 Соглашение"
    assert agreement["Value"] == 1500000.5 and contract["Value"] == 1000000  # numbers, not text
    assert agreement["Expected jobs"] == 40
    assert contract["Signatories"].startswith("Jasur Toʻxtayev (on behalf of 青葉 一郎, Director)")
    assert gone["Withdrawn: reason"] == "'@SUM(1;2) signed twice" and gone["Counts in the tally"] == "No"


def test_libreoffice_opens_the_xlsx(client, login, world, tmp_path):
    if shutil.which("libreoffice") is None:
        pytest.skip("libreoffice is not installed")
    login(world["org"])
    source = tmp_path / "register.xlsx"
    source.write_bytes(client.get("/manage/central-asia-japan/documents/export.xlsx").data)
    subprocess.run(["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(tmp_path / "out"),
                    str(source)], check=True, capture_output=True, timeout=180)
    text = (tmp_path / "out" / "register.csv").read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert header == HEADER
    rows = [dict(zip(header, row)) for row in rows]
    assert [row["Number"] for row in rows] == [world[n].reference for n in ("mou", "agreement", "contract")]
    assert rows[0]["Title (Japanese)"] == "水処理に関する覚書"
    assert rows[1]["Title (Kazakh)"] == "Ауыл шаруашылығы туралы келісім"
    assert rows[1]["Title (Russian)"] == "'=1+1 Соглашение"  # text, not a formula LibreOffice computed
    assert rows[2]["Title (Uzbek)"] == "Qoʻshma korxona toʻgʻrisida shartnoma"


def test_the_export_is_audited_with_its_filter_and_row_count(client, login, world):
    _csv(client, login, world, "?pair=KZ-JP&withdrawn=include&kind=nonsense")
    entries = _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert len(entries) == 1
    e = entries[0]
    assert (e.subject_type, e.subject_id, e.forum_id, e.actor_id) == (
        "forum", world["forum"].id, world["forum"].id, world["org"].id)
    assert e.details == {"list": "documents", "format": "csv", "filters": {"pair": "JP-KZ", "withdrawn": "include"},
                         "rows": 2}


def test_only_the_documents_team_exports(client, login, world):
    url = "/manage/central-asia-japan/documents/export.csv"
    assert client.get(url).status_code in (302, 401)
    login(f.member(world["forum"], Permission.REVIEW))
    assert client.get(url).status_code == 403
    login(f.member(f.forum(slug="elsewhere"), Permission.DOCUMENTS))
    assert client.get(url).status_code == 403
    login(world["org"])
    assert client.get("/manage/central-asia-japan/documents/export.pdf").status_code == 404
    assert client.get("/manage/central-asia-japan/documents/export.CSV").status_code == 404
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "export")) == 0  # refused: nothing recorded


def test_an_empty_export_has_the_header(client, login, world):
    header, *rows = _csv(client, login, world, "?q=nothing-matches-this")
    assert rows == [] and header[:2] == ["Number", "Type"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_does_not_grow_with_documents(client, db, login, fmt):
    counts = []
    for n in (1, 25):
        forum = f.forum()
        org = f.organizer()
        for i in range(n):
            keyed(f.document(forum, parties=[JP, KZ, UZ], titles={"en": f"MOU {i}", "ja": f"覚書 {i}"}))
        login(org)
        _db.session.commit()
        with counting(_db.engine) as statements:
            assert client.get(f"/manage/{forum.slug}/documents/export.{fmt}").status_code == 200
        counts.append(len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT",
                                                                                          "RELEASE"))]))
    assert counts[0] == counts[1]
