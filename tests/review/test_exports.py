"""The registration list as CSV and XLSX: Excel-safe cells, Unicode that survives, filters, access."""
from __future__ import annotations

import csv
import io
import re
import tempfile
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from forum.audit.models import AuditEntry
from forum.registration.models import Category, RegState
from forum.review import exporting, exports
from forum.review import services as review
from forum.review.exports import HEADER, Record, csv_chunks, neutralise, rows, to_csv, to_xlsx, xlsx_chunks
from tests import factories as f

BOM = b"\xef\xbb\xbf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- neutralise ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "=HYPERLINK(\"http://evil.example\",\"click\")", "+7 701 123 4567", "-2+3", "@SUM(A1:A9)",
    "\t=1+1", "\r=1+1", "=",
])
def test_neutralise_prefixes_what_a_spreadsheet_would_run(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", [
    "Иванов Иван", "山田 太郎", "Қасымов Ерлан", "a=b", "O'Brien", "", " =1", "1+1", 42, -5, 3.5, None,
])
def test_neutralise_leaves_ordinary_values_alone(value):
    assert neutralise(value) == value


# --- to_csv / to_xlsx -------------------------------------------------------------------------------

def sample_row(i: int = 1, **over) -> tuple:
    values = dict(zip(HEADER, (
        i, "approved", "no", "delegate", "山田 太郎", "YAMADA Taro", "Director", "yamada@example.jp",
        "+81 90 1234 5678", "ja en", "株式会社テスト", "Test Corp", "JP", "Tokyo", "it",
        "Қасымова Әлия", "aliya@example.kz", "2026-05-01 09:30",
    )))
    values.update(over)
    return tuple(values[h] for h in HEADER)


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(BOM)  # Excel needs it to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def read_xlsx(body: bytes) -> list[tuple]:
    ws = load_workbook(io.BytesIO(body)).active
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_to_csv_starts_with_bom_and_round_trips_unicode():
    body = to_csv([
        sample_row(1),
        sample_row(2, **{"Full name": "Нұрланұлы Ерлан", "Company": "ТОО «Қазақ Тех», Астана",
                         "Position": 'Head of "Sales"\nAstana office'}),
    ])
    assert body[:3] == BOM
    assert body.count(BOM) == 1
    header, first, second = read_csv(body)
    assert tuple(header) == HEADER
    assert first[HEADER.index("Full name")] == "山田 太郎"
    assert first[HEADER.index("Company")] == "株式会社テスト"
    assert first[HEADER.index("Contact person")] == "Қасымова Әлия"
    assert first[HEADER.index("ID")] == "1"
    # Commas, quotes and line breaks stay inside their cell.
    assert second[HEADER.index("Full name")] == "Нұрланұлы Ерлан"
    assert second[HEADER.index("Company")] == "ТОО «Қазақ Тех», Астана"
    assert second[HEADER.index("Position")] == 'Head of "Sales"\nAstana office'


def test_to_csv_neutralises_formulas():
    [_h, row] = read_csv(to_csv([sample_row(1, **{"Company": "=cmd|' /C calc'!A0", "Phone": "+7 701 123 4567"})]))
    assert row[HEADER.index("Company")] == "'=cmd|' /C calc'!A0"
    assert row[HEADER.index("Phone")] == "'+7 701 123 4567"
    assert row[HEADER.index("Full name")] == "山田 太郎"


QUOTED_LINE = re.compile(r'"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*')


def split_like_excel_with_semicolons(line: str) -> list[str]:
    """A line as a spreadsheet whose list separator is ';' splits it: on ';' outside quotes only."""
    cells, cell, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            cells.append(cell)
            cell = ""
            continue
        cell += ch
    return [*cells, cell]


def test_to_csv_quotes_every_cell_header_numbers_and_empty_ones_included():
    body = to_csv([sample_row(7, **{"Phone": "", "Company": 'Acme "Best", Ltd'}), sample_row(8)])
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[-1] == ""
    for line in lines[:-1]:
        assert QUOTED_LINE.fullmatch(line), line
    assert lines[1].startswith('"7",') and ',"",' in lines[1]  # the number and the empty phone too


def test_a_semicolon_in_a_value_cannot_start_a_formula_cell_where_the_list_separator_is_a_semicolon():
    body = to_csv([sample_row(1, **{"Company": "Acme;=1+1;", "City": "Astana;@SUM(A1)"})])
    line = body.decode("utf-8-sig").split("\r\n")[1]
    assert ',"Acme;=1+1;",' in line  # one quoted cell
    [_h, row] = read_csv(body)
    assert row[HEADER.index("Company")] == "Acme;=1+1;"
    assert row[HEADER.index("City")] == "Astana;@SUM(A1)"
    pieces = split_like_excel_with_semicolons(line)
    assert len(pieces) == 1  # no ';' outside quotes: the whole line stays together
    assert not any(p.lstrip('"').startswith(("=", "+", "-", "@")) for p in pieces)


def test_to_csv_with_no_rows_is_just_the_header():
    assert read_csv(to_csv([])) == [list(HEADER)]


def test_to_xlsx_has_the_header_row_and_the_values():
    body = to_xlsx([sample_row(7), sample_row(8, **{"Full name": "Қасымов Ерлан", "Company": "=1+1"})])
    wb = load_workbook(io.BytesIO(body))
    ws = wb.active
    assert ws.title == "Registrations"
    header, first, second = [tuple(c.value for c in row) for row in ws.iter_rows()]
    assert header == HEADER
    assert all(cell.font.b for cell in ws[1])
    assert ws.freeze_panes == "A2"  # the header stays in view while scrolling
    assert first == tuple(neutralise(v) for v in sample_row(7))  # numbers stay numbers, text stays text
    assert first[0] == 7
    assert first[HEADER.index("Full name")] == "山田 太郎"
    assert first[HEADER.index("Phone")] == "'+81 90 1234 5678"
    assert second[HEADER.index("Full name")] == "Қасымов Ерлан"
    assert second[HEADER.index("Company")] == "'=1+1"
    assert ws.cell(row=3, column=HEADER.index("Company") + 1).data_type == "s"  # text, not a formula


def test_to_xlsx_survives_control_characters_pasted_into_a_field():
    """Word's manual line break pastes as \\x0b and nfc() keeps it; XML refuses such characters, so
    the export turns them into spaces (and only then neutralises a formula they hid)."""
    body = to_xlsx([sample_row(1, **{"Position": "Director\x0bSales"}),
                    sample_row(2, **{"Company": "\x0b=1+1"})])
    wb = load_workbook(io.BytesIO(body))
    ws = wb.active
    _h, first, second = [tuple(c.value for c in row) for row in ws.iter_rows()]
    assert first[HEADER.index("Position")] == "Director Sales"  # a space, as openpyxl wrote it
    # Once the control character is gone the cell must still not be a formula.
    company = ws.cell(row=3, column=HEADER.index("Company") + 1)
    assert company.data_type == "s"
    assert not str(company.value).startswith("=")


def test_to_xlsx_turns_exactly_openpyxls_illegal_characters_into_spaces_before_neutralising():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    chars = [chr(i) for i in range(0x80)] + ["\x85", "\u2028", "\ufeff", "\ufffe", "\uffff"]
    ws = load_workbook(io.BytesIO(to_xlsx([[f"a{ch}b" for ch in chars], [f"{ch}=1+1" for ch in chars]]))).active
    for col, ch in enumerate(chars, 1):
        inside, in_front = ws.cell(row=2, column=col).value, ws.cell(row=3, column=col).value
        if ILLEGAL_CHARACTERS_RE.match(ch):
            assert (inside, in_front) == ("a b", " =1+1"), hex(ord(ch))
        elif ch in "\ufffe\uffff":  # XML cannot carry them either: removed, and the formula is then seen
            assert (inside, in_front) == ("ab", "'=1+1"), hex(ord(ch))
        else:
            assert (inside, in_front) == (f"a{ch}b", neutralise(f"{ch}=1+1")), hex(ord(ch))


def test_rows_turns_a_record_into_the_cells_of_the_header():
    record = Record(
        id=5, state=RegState.WAITLISTED, is_late=True, category=Category.SPEAKER, full_name="Oʻrinboyev Gʻayrat",
        latin_name="ORINBOYEV Gayrat", position="CEO", email="g@example.uz", phone="+998 90 123 45 67",
        languages=["uz", "ru"], legal_name="«Oʻzbek Savdo» MChJ", name_en="Uzbek Trade LLC", country="UZ",
        city="Toshkent", sector="trade", contact_name="Қасымова Әлия", contact_email="aliya@example.kz",
        created_at=datetime(2026, 5, 1, 9, 30, 59, tzinfo=timezone.utc),
    )
    [row] = rows([record])
    assert dict(zip(HEADER, row)) == {
        "ID": 5, "State": "waitlisted", "Late": "yes", "Category": "speaker", "Full name": "Oʻrinboyev Gʻayrat",
        "Name (Latin)": "ORINBOYEV Gayrat", "Position": "CEO", "E-mail": "g@example.uz",
        "Phone": "+998 90 123 45 67", "Languages": "uz ru", "Company": "«Oʻzbek Savdo» MChJ",
        "Company (English)": "Uzbek Trade LLC", "Country": "UZ", "City": "Toshkent", "Sector": "trade",
        "Contact person": "Қасымова Әлия", "Contact e-mail": "aliya@example.kz", "Registered (UTC)": "2026-05-01 09:30",
    }
    [row] = rows([record._replace(is_late=False, languages=None)])
    assert row[HEADER.index("Late")] == "no"
    assert row[HEADER.index("Languages")] == ""


def _rows_that_must_not_all_be_read(limit: int):
    """Rows for a streaming writer: reading past `limit` means the whole input is being loaded."""
    for i in range(10**9):
        assert i < limit, "the writer read every row before giving the first chunk"
        yield sample_row(i, **{"Full name": f"Оʻзбек Қасым {i}"})


def test_csv_chunks_start_with_bom_and_header_then_rows_as_they_come():
    chunks = csv_chunks(_rows_that_must_not_all_be_read(500), chunk_bytes=2000)
    first = next(chunks)
    assert first == BOM + (",".join(f'"{h}"' for h in HEADER) + "\r\n").encode()
    second = next(chunks)  # a few rows, long before the 500th
    assert 2000 <= len(second.decode()) < 2600
    [row, *_] = list(csv.reader(io.StringIO(second.decode(), newline="")))
    assert row[HEADER.index("Full name")] == "Оʻзбек Қасым 0"


def test_csv_chunks_join_to_the_whole_file():
    data = [sample_row(i, **{"Company": "=1+1", "Position": 'a "b",\nc'}) for i in range(300)]
    chunks = list(csv_chunks(data, chunk_bytes=1000))
    assert len(chunks) > 10
    assert all(not c.startswith(BOM) for c in chunks[1:])
    assert b"".join(chunks) == to_csv(data)
    header, *got = read_csv(b"".join(chunks))
    assert len(got) == 300
    assert got[299][HEADER.index("Company")] == "'=1+1"
    assert got[299][HEADER.index("Position")] == 'a "b",\nc'


def test_xlsx_chunks_stream_the_workbook_from_a_temporary_file_that_is_then_gone(monkeypatch):
    files = []

    def temporary_file(*a, **kw):
        files.append(real(*a, **kw))
        return files[-1]

    real = tempfile.TemporaryFile
    monkeypatch.setattr(tempfile, "TemporaryFile", temporary_file)
    data = [sample_row(i, **{"Full name": "Оʻрин Қасым", "Company": "=1+1"}) for i in range(200)]
    chunks = list(xlsx_chunks(data, chunk_bytes=1024))
    assert len(chunks) > 3
    assert all(len(c) <= 1024 for c in chunks)
    assert [f.closed for f in files] == [True]
    header, *got = read_xlsx(b"".join(chunks))
    assert header == HEADER
    assert len(got) == 200
    assert got[199][HEADER.index("Full name")] == "Оʻрин Қасым"
    assert got[199][HEADER.index("Company")] == "'=1+1"

    abandoned = xlsx_chunks(data, chunk_bytes=1024)
    next(abandoned)
    assert files[1].closed is False
    abandoned.close()  # the browser went away mid-download
    assert files[1].closed is True


# --- the export route ---------------------------------------------------------------------------

@pytest.fixture()
def listing(db):
    """One forum with an approved Kazakh, a pending Russian and a rejected Japanese delegate."""
    forum = f.forum(slug="astana-2026")
    org = f.organizer()
    approved = f.registration_(forum, delegates=[f.delegate_input(full_name="Қасымов Ерлан",
                                                                  latin_name="KASSYMOV Yerlan",
                                                                  email="kassymov@example.kz")])
    pending = f.registration_(forum, delegates=[f.delegate_input(full_name="Иванов Иван Петрович",
                                                                 latin_name="IVANOV Ivan",
                                                                 email="ivanov@example.ru")],
                              legal_name="=HYPERLINK(\"http://evil.example\")")
    rejected = f.registration_(forum, delegates=[f.delegate_input(full_name="山田 花子", latin_name="YAMADA Hanako",
                                                                  email="hanako@example.jp")])
    review.decide(approved, "approve", by=org)
    review.decide(rejected, "reject", by=org, reason="Duplicate")
    other = f.forum(slug="other-forum")
    f.registration_(other, delegates=[f.delegate_input(full_name="Чужой Участник", latin_name="CHUZHOY",
                                                       email="other@example.ru")])
    db.session.commit()
    assert (approved.state, pending.state, rejected.state) == (RegState.APPROVED, RegState.PENDING,
                                                               RegState.REJECTED)
    return dict(forum=forum, org=org, approved=approved, pending=pending, rejected=rejected)


def names(rows_: list) -> set[str]:
    return {r[HEADER.index("Full name")] for r in rows_}


def test_organizer_downloads_all_registrations_of_the_forum_as_csv(client, login, listing):
    login(listing["org"])
    resp = client.get("/manage/astana-2026/registrations.csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert resp.mimetype_params.get("charset") == "utf-8"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="astana-2026-registrations.csv"'
    header, *rows_ = read_csv(resp.data)
    assert tuple(header) == HEADER
    assert names(rows_) == {"Қасымов Ерлан", "Иванов Иван Петрович", "山田 花子"}  # not the other forum's
    by_name = {r[HEADER.index("Full name")]: r for r in rows_}
    assert by_name["Қасымов Ерлан"][HEADER.index("State")] == "approved"
    assert by_name["山田 花子"][HEADER.index("State")] == "rejected"
    assert by_name["Иванов Иван Петрович"][HEADER.index("Company")] == "'=HYPERLINK(\"http://evil.example\")"
    assert by_name["Иванов Иван Петрович"][HEADER.index("ID")] == str(listing["pending"].id)


def test_state_filter_exports_only_those(client, login, listing):
    login(listing["org"])
    _h, *rows_ = read_csv(client.get("/manage/astana-2026/registrations.csv?state=approved").data)
    assert names(rows_) == {"Қасымов Ерлан"}
    _h, *rows_ = read_csv(client.get("/manage/astana-2026/registrations.csv?state=pending").data)
    assert names(rows_) == {"Иванов Иван Петрович"}


@pytest.mark.parametrize("q, expected", [
    ("ИВАНОВ", {"Иванов Иван Петрович"}),  # Cyrillic, other letter case
    ("иван петрович", {"Иванов Иван Петрович"}),
    ("қасымов", {"Қасымов Ерлан"}),  # Kazakh letters, other case
    ("ҚАСЫМОВ", {"Қасымов Ерлан"}),
    ("山田", {"山田 花子"}),
    ("yamada", {"山田 花子"}),  # the Latin name
    ("nobody-like-this", set()),
])
def test_search_filter_finds_names_in_any_script_and_case(client, login, listing, q, expected):
    login(listing["org"])
    resp = client.get("/manage/astana-2026/registrations.csv", query_string={"q": q})
    assert resp.status_code == 200
    _h, *rows_ = read_csv(resp.data)
    assert names(rows_) == expected


def test_organizer_downloads_xlsx_with_filters(client, login, listing):
    login(listing["org"])
    resp = client.get("/manage/astana-2026/registrations.xlsx", query_string={"state": "pending", "q": "ИВАНОВ"})
    assert resp.status_code == 200
    assert resp.mimetype == XLSX
    assert resp.headers["Content-Disposition"] == 'attachment; filename="astana-2026-registrations.xlsx"'
    header, *rows_ = read_xlsx(resp.data)
    assert header == HEADER
    assert len(rows_) == 1
    [row] = rows_
    assert row[HEADER.index("ID")] == listing["pending"].id
    assert row[HEADER.index("Full name")] == "Иванов Иван Петрович"
    assert row[HEADER.index("Name (Latin)")] == "IVANOV Ivan"
    assert row[HEADER.index("E-mail")] == "ivanov@example.ru"
    assert row[HEADER.index("State")] == "pending"
    assert row[HEADER.index("Company")] == "'=HYPERLINK(\"http://evil.example\")"


def test_xlsx_export_with_a_pasted_control_character_still_downloads(client, login, db):
    """The export view with a pasted control character answers 200: see
    test_to_xlsx_survives_control_characters_pasted_into_a_field."""
    forum = f.forum(slug="vt")
    org = f.organizer()
    reg = f.registration_(forum)
    reg.position = "Director\x0bSales"  # the form refuses it now; rows stored before may still have it
    db.session.commit()
    login(org)
    resp = client.get("/manage/vt/registrations.xlsx")
    assert resp.status_code == 200
    [_h, row] = read_xlsx(resp.data)
    assert "Director" in row[HEADER.index("Position")] and "Sales" in row[HEADER.index("Position")]


def test_unknown_filter_values_filter_nothing(client, login, listing):
    login(listing["org"])
    _h, *rows_ = read_csv(client.get("/manage/astana-2026/registrations.csv?state=bogus").data)
    assert len(rows_) == 3


def test_delegate_gets_403(client, login, listing):
    login(listing["approved"].user)
    for fmt in ("csv", "xlsx"):
        resp = client.get(f"/manage/astana-2026/registrations.{fmt}")
        assert resp.status_code == 403
        assert resp.mimetype == "text/html"
        assert "Иванов" not in resp.get_data(as_text=True)  # nobody else's data


def test_anonymous_is_sent_to_login(client, listing):
    resp = client.get("/manage/astana-2026/registrations.csv?state=approved")
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/login"
    assert "registrations.csv" in location.query  # comes back to the file after signing in


def test_unknown_format_is_404(client, login, listing):
    login(listing["org"])
    assert client.get("/manage/astana-2026/registrations.pdf").status_code == 404
    assert client.get("/manage/astana-2026/registrations.json").status_code == 404


def test_unknown_forum_is_404(client, login, listing):
    login(listing["org"])
    assert client.get("/manage/no-such-forum/registrations.csv").status_code == 404


# --- names in every script, streaming, batches ---------------------------------------------------

JAPANESE = "髙橋 一郎"
KAZAKH = "Сәуле Тоғжанқызы Өңкербаева-Үмбетұлы Һәм Ілияс"
UZBEK = "Oʻrinboyev Gʻayrat Shoʻxratovich"
assert set("әғқңөұүһі") <= set(KAZAKH.lower()) and "\u02bb" in UZBEK
READ = {"csv": read_csv, "xlsx": read_xlsx}


@pytest.fixture()
def scripts(db):
    forum = f.forum(slug="tashkent-2026")
    org = f.organizer()
    for name, latin, email in [(JAPANESE, "TAKAHASHI Ichiro", "takahashi@example.jp"),
                               (KAZAKH, "UMBETULY Saule", "saule@example.kz"),
                               (UZBEK, "ORINBOYEV Gayrat", "gayrat@example.uz")]:
        f.registration_(forum, delegates=[f.delegate_input(full_name=name, latin_name=latin, email=email)],
                        legal_name=f"«{name}» MChJ")
    db.session.commit()
    return dict(forum=forum, org=org)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_names_in_every_script_come_out_exactly_as_typed(client, login, scripts, fmt):
    login(scripts["org"])
    resp = client.get(f"/manage/tashkent-2026/registrations.{fmt}")
    assert resp.status_code == 200
    _h, *rows_ = READ[fmt](resp.data)
    assert names(rows_) == {JAPANESE, KAZAKH, UZBEK}
    assert {r[HEADER.index("Company")] for r in rows_} == {f"«{n}» MChJ" for n in (JAPANESE, KAZAKH, UZBEK)}


def test_csv_download_is_streamed_header_first(client, login, listing):
    login(listing["org"])
    resp = client.get("/manage/astana-2026/registrations.csv")
    chunks = list(resp.response)  # as the app yielded them: a body built in memory is one chunk
    assert chunks[0] == BOM + (",".join(f'"{h}"' for h in HEADER) + "\r\n").encode()
    assert len(chunks) == 2  # three rows fit in one chunk
    assert names(read_csv(b"".join(chunks))[1:]) == {"Қасымов Ерлан", "Иванов Иван Петрович", "山田 花子"}


def test_xlsx_download_is_streamed_in_chunks(client, login, listing, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_BYTES", 1024)
    login(listing["org"])
    resp = client.get("/manage/astana-2026/registrations.xlsx")
    chunks = list(resp.response)
    assert len(chunks) > 3
    assert all(len(c) <= 1024 for c in chunks)
    assert names(read_xlsx(b"".join(chunks))[1:]) == {"Қасымов Ерлан", "Иванов Иван Петрович", "山田 花子"}


def test_export_reads_the_rows_in_batches(client, login, listing, db, monkeypatch):
    monkeypatch.setattr(exporting, "YIELD_PER", 2)
    batches = []

    def on_execute(state):
        batches.append(state.execution_options.get("yield_per"))

    sa.event.listen(db.session, "do_orm_execute", on_execute)
    try:
        login(listing["org"])
        resp = client.get("/manage/astana-2026/registrations.csv")
    finally:
        sa.event.remove(db.session, "do_orm_execute", on_execute)
    assert 2 in batches
    assert len(read_csv(resp.data)) == 4  # every batch made it into the file


# --- the audit trail of exports -------------------------------------------------------------------

def export_entries(db) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")
                                   .order_by(AuditEntry.id)))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("args, filters, expected", [
    ({}, {}, 3),  # the other forum's delegate is neither exported nor counted
    ({"state": "approved", "q": "ҚАСЫМОВ", "page": "2"}, {"state": "approved", "q": "ҚАСЫМОВ"}, 1),
    ({"state": "withdrawn"}, {"state": "withdrawn"}, 0),
])
def test_each_export_is_audited_with_who_the_format_the_filter_and_the_rows(
        client, login, listing, db, fmt, args, filters, expected):
    org = login(listing["org"])
    resp = client.get(f"/manage/astana-2026/registrations.{fmt}", query_string=args)
    assert resp.status_code == 200
    _h, *rows_ = READ[fmt](resp.data)
    [entry] = export_entries(db)
    forum = listing["forum"]
    assert (entry.subject_type, entry.subject_id, entry.forum_id, entry.actor_id) == ("forum", forum.id, forum.id,
                                                                                        org.id)
    assert entry.details == {"format": fmt, "filters": filters, "rows": expected}
    assert len(rows_) == expected


def test_the_audit_entry_is_committed_and_no_write_lock_held_while_the_rows_stream(
        client, login, listing, db, monkeypatch):
    sqlite = db.engine.dialect.name == "sqlite"
    # Another process: on SQLite it gives up at once if someone holds the write lock.
    other = sa.create_engine(db.engine.url, connect_args={"timeout": 0} if sqlite else {})
    seen = []
    real = exporting.records

    def records(forum_id, f):
        it = real(forum_id, f)
        yield next(it)  # the export is reading rows now
        with other.connect() as conn:
            seen.append(conn.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action == "export")))
            conn.execute(sa.text("UPDATE forums SET slug = slug WHERE id = -1"))  # takes the write lock
            conn.rollback()
        yield from it

    monkeypatch.setattr(exporting, "records", records)
    login(listing["org"])
    try:
        resp = client.get("/manage/astana-2026/registrations.csv")
    finally:
        other.dispose()
    assert resp.status_code == 200
    assert seen == [1]
    assert len(read_csv(resp.data)) == 4


def test_the_export_takes_the_write_lock_for_its_audit_entry_and_streams_without_it(client, db, login):
    """On SQLite a GET starts a plain BEGIN; the export writes its audit entry, so it must start with
    BEGIN IMMEDIATE (else a concurrent commit makes the insert fail with 'database is locked'), and
    the streamed rows are read after that transaction, with a plain BEGIN."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking; this run is on " + db.engine.dialect.name)
    from sqlalchemy import event

    forum = f.forum(slug="astana")
    f.company(forum, 2)
    login(f.organizer())
    db.session.commit()
    begins: list[str] = []

    def seen(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        r = client.get("/manage/astana/registrations.csv")
        assert r.status_code == 200
        r.get_data()
        begins_export = list(begins)
        begins.clear()
        client.get("/manage/astana/registrations")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert begins_export == ["BEGIN IMMEDIATE", "BEGIN"]
    assert begins == ["BEGIN"]  # an ordinary page reads without the lock
