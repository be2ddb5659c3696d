"""The registration list as CSV and XLSX: Excel-safe cells, Unicode that survives, filters, access."""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from forum.audit.models import AuditEntry
from forum.registration.models import Category, RegState, Source
from forum.review import exporting, exports
from forum.review import services as review
from forum.review.exports import HEADER, Record, csv_chunks, neutralise, rows, to_csv, to_xlsx, xlsx_chunks
from tests import factories as f

BOM = b"\xef\xbb\xbf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- neutralise ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "=HYPERLINK(\"http://evil.example\",\"click\")", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "=",
    # Not a phone as the export writes one: these a spreadsheet computes (or could).
    "+998901234567", "+7 701-123-45-67", "+7 (701) 123 4567", "+1 2+3", "+998 90 123 45 67\n=1+1", "+ 998 90",
    "+998 90 123 45 67 ", "-998 90 123",
])
def test_neutralise_prefixes_what_a_spreadsheet_would_run(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", [
    "Иванов Иван", "山田 太郎", "Қасымов Ерлан", "a=b", "O'Brien", "", " =1", "1+1", 42, -5, 3.5, None,
    # Phone numbers as the export writes them: text no spreadsheet runs, kept without an apostrophe.
    "+998 90 123 45 67", "+7 701 123 4567", "+81 90 1234 5678", "+1 201 555 0123",
])
def test_neutralise_leaves_ordinary_values_alone(value):
    assert neutralise(value) == value


# --- to_csv / to_xlsx -------------------------------------------------------------------------------

def sample_row(i: int = 1, **over) -> tuple:
    cells = (
        i, "approved", "no", "online", "delegate", "山田 太郎", "YAMADA Taro", "Director", "yamada@example.jp",
        "+81 90 1234 5678", "ja, en", "株式会社テスト", "Test Corp", "JP", "Tokyo", "it",
        "Қасымова Әлия", "aliya@example.kz", "2026-05-01 09:30", "",
    )
    assert len(cells) == len(HEADER)
    values = dict(zip(HEADER, cells))
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
    [_h, row] = read_csv(to_csv([sample_row(1, **{"Company": "=cmd|' /C calc'!A0", "Phone": "+7 701 123 4567",
                                                  "Position": "+7(701)1234567"})]))
    assert row[HEADER.index("Company")] == "'=cmd|' /C calc'!A0"
    assert row[HEADER.index("Phone")] == "+7 701 123 4567"  # a phone as the export writes it: no apostrophe
    assert row[HEADER.index("Position")] == "'+7(701)1234567"
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
    assert first == tuple(neutralise(v) if v != "" else None for v in sample_row(7))  # numbers stay numbers
    assert first[0] == 7
    assert first[HEADER.index("Full name")] == "山田 太郎"
    assert first[HEADER.index("Phone")] == "+81 90 1234 5678"
    assert ws.cell(row=2, column=HEADER.index("Phone") + 1).data_type == "s"  # text, never a number
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
        id=5, state=RegState.WAITLISTED, is_late=True, source=Source.LATE_REQUEST, category=Category.SPEAKER,
        full_name="Oʻrinboyev Gʻayrat", latin_name="ORINBOYEV Gayrat", position="CEO", email="g@example.uz",
        phone="+998901234567", languages=["uz", "ru"], legal_name="«Oʻzbek Savdo» MChJ", name_en="Uzbek Trade LLC",
        country="UZ", city="Toshkent", sector="trade", contact_name="Қасымова Әлия", contact_email="aliya@example.kz",
        created_at=datetime(2026, 5, 1, 9, 30, 59, tzinfo=timezone.utc), decision_reason="",
    )
    [row] = rows([record])  # without labels: the codes
    assert dict(zip(HEADER, row)) == {
        "ID": 5, "State": "waitlisted", "Late": "yes", "Source": "late_request", "Category": "speaker",
        "Full name": "Oʻrinboyev Gʻayrat", "Name (Latin)": "ORINBOYEV Gayrat", "Position": "CEO",
        "E-mail": "g@example.uz", "Phone": "+998 90 123 45 67", "Languages": "uz, ru",
        "Company": "«Oʻzbek Savdo» MChJ", "Company (English)": "Uzbek Trade LLC", "Country": "UZ", "City": "Toshkent",
        "Sector": "trade", "Contact person": "Қасымова Әлия", "Contact e-mail": "aliya@example.kz",
        "Registered (UTC)": "2026-05-01 09:30", "Rejection reason": "",
    }
    [row] = rows([record._replace(is_late=False, languages=None)])
    assert row[HEADER.index("Late")] == "no"
    assert row[HEADER.index("Languages")] == ""


def test_the_rejection_reason_is_written_for_a_rejected_delegate_only():
    base = Record(1, RegState.REJECTED, False, Source.ONLINE, Category.DELEGATE, "A", "A", "", "a@example.kz", "",
                  [], "Co", "Co", "KZ", "Astana", "it", "C", "c@example.kz", datetime(2026, 5, 1, tzinfo=timezone.utc),
                  "Duplicate of registration 12")
    [rejected, approved_after] = rows([base, base._replace(state=RegState.APPROVED)])
    assert rejected[HEADER.index("Rejection reason")] == "Duplicate of registration 12"
    # A reason given for another decision (a capacity override, say) is not a rejection reason.
    assert approved_after[HEADER.index("Rejection reason")] == ""


@pytest.mark.parametrize("stored, written", [
    ("+998901234567", "+998 90 123 45 67"),
    ("+77011234567", "+7 701 123 4567"),
    ("+819012345678", "+81 90 1234 5678"),  # Japan groups with hyphens: spaces here
    ("+12015550123", "+1 201 555 0123"),
    ("+996555123456", "+996 555 123 456"),
    ("", ""),
    ("not a number", "not a number"),  # stored before phones were checked: as it is (and neutralised if need be)
])
def test_phone_text_groups_the_number_with_spaces_only(stored, written):
    assert exports.phone_text(stored) == written
    if written.startswith("+"):
        assert exports.PHONE_TEXT.fullmatch(written) and neutralise(written) == written


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
    assert by_name["Қасымов Ерлан"][HEADER.index("State")] == "Approved"
    assert by_name["山田 花子"][HEADER.index("State")] == "Rejected"
    assert by_name["山田 花子"][HEADER.index("Rejection reason")] == "Duplicate"
    assert by_name["Қасымов Ерлан"][HEADER.index("Rejection reason")] == ""
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
    assert row[HEADER.index("State")] == "Pending"
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


# --- labels in the organizer's language, phones, the sheet's layout --------------------------------

LABELLED = {
    # lang: (header cells, then the approved Kazakh delegate's cells), as an organizer reads them
    "en": ({"State": "State", "Country": "Country", "Company": "Company", "Phone": "Phone",
            "Rejection reason": "Rejection reason"},
           {"State": "Approved", "Country": "Kazakhstan", "Category": "Delegate", "Sector": "Energy, oil and gas",
            "Languages": "Japanese, English", "Late": "No", "Source": "Online form"}),
    "ja": ({"State": "ステータス", "Country": "国", "Company": "企業", "Phone": "電話番号"},
           {"State": "承認済み", "Country": "カザフスタン", "Category": "参加者", "Sector": "エネルギー・石油・ガス",
            "Languages": "日本語, 英語"}),
    "ru": ({"State": "Статус", "Country": "Страна", "Company": "Компания", "Phone": "Телефон"},
           {"State": "Одобрено", "Country": "Казахстан", "Category": "Делегат", "Sector": "Энергетика, нефть и газ",
            "Languages": "Японский, Английский"}),
}


@pytest.fixture()
def labelled(db):
    forum = f.forum(slug="labels")
    org = f.organizer()
    kz = f.registration_(forum, country="KZ", sector="energy", delegates=[f.delegate_input(
        full_name="Қасымов Ерлан", latin_name="KASSYMOV Yerlan", phone="+998 90 123 45 67", languages=["ja", "en"])])
    rejected = f.registration_(forum, country="JP", delegates=[f.delegate_input(full_name="山田 花子")])
    review.decide(kz, "approve", by=org)
    review.decide(rejected, "reject", by=org, reason="Registered twice: see the other entry")
    db.session.commit()
    return dict(org=org, kz=kz, rejected=rejected)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["en", "ja", "ru"])
def test_codes_and_the_header_are_written_in_the_organizers_language(client, login, labelled, lang, fmt):
    from flask_babel import force_locale

    org = labelled["org"]
    org.language = lang
    login(org)
    header, *rows_ = READ[fmt](client.get(f"/manage/labels/registrations.{fmt}").data)
    with force_locale(lang):
        expected = exporting.labels()
    assert tuple(header) == tuple(expected.header)
    want_header, want_row = LABELLED[lang]
    for column, label in want_header.items():
        assert header[HEADER.index(column)] == label, column
    [row] = [r for r in rows_ if r[HEADER.index("Full name")] == "Қасымов Ерлан"]
    for column, label in want_row.items():
        assert row[HEADER.index(column)] == label, column
    assert row[HEADER.index("Source")] == expected.sources["online"]
    assert row[HEADER.index("Late")] == expected.no
    # What is not a code stays as typed; the phone is the number, grouped, with no apostrophe.
    assert row[HEADER.index("Full name")] == "Қасымов Ерлан"
    assert row[HEADER.index("Phone")] == "+998 90 123 45 67"
    [rej] = [r for r in rows_ if r[HEADER.index("Full name")] == "山田 花子"]
    assert rej[HEADER.index("Rejection reason")] == "Registered twice: see the other entry"
    assert rej[HEADER.index("State")] == expected.states["rejected"]


def test_every_code_has_a_label():
    """A new state, source or column without a label would reach the organizer's file as its code or in English."""
    from forum.registration.models import Source

    assert set(exporting.SOURCE_LABELS) == set(Source)
    assert set(exporting.HEADER_LABELS) == set(HEADER)


def sheet_parts(body: bytes):
    import xml.etree.ElementTree as ET
    import zipfile

    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        return ET.fromstring(zf.read("xl/worksheets/sheet1.xml")), ET.fromstring(zf.read("xl/workbook.xml"))


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def test_the_xlsx_has_fitted_column_widths_an_autofilter_a_frozen_header_and_phones_as_text(client, login, db):
    forum = f.forum(slug="layout")
    long_company = "Товарищество с ограниченной ответственностью «" + "Қазақстан-Жапония " * 12 + "»"
    f.registration_(forum, legal_name=long_company, delegates=[f.delegate_input(
        full_name="髙橋 一郎 髙橋 一郎", latin_name="TAKAHASHI Ichiro", phone="+7 701 123 4567", position="")])
    f.registration_(forum, delegates=[f.delegate_input(full_name="Ли", phone="+81 90 1234 5678")])
    login(f.organizer())
    body = client.get("/manage/layout/registrations.xlsx").data
    sheet, workbook = sheet_parts(body)
    widths = {int(c.get("min")): float(c.get("width")) for c in sheet.find("m:cols", NS)}
    col = {name: i + 1 for i, name in enumerate(HEADER)}
    assert len(widths) == len(HEADER)
    # Fitted to what is in the column: 9 CJK characters and a space take 18 + 1 widths (+2 padding) ...
    assert widths[col["Full name"]] == 21
    assert widths[col["Phone"]] == len("+81 90 1234 5678") + 2
    assert widths[col["ID"]] == 6  # ... at least the minimum, for a narrow column ...
    assert widths[col["Position"]] == len("Position") + 2  # ... the header when the cells are narrower ...
    assert widths[col["Company"]] == 60  # ... and capped for a long one.
    assert sheet.find("m:autoFilter", NS).get("ref") == f"A1:T3"  # over the header row and both rows
    assert len(HEADER) == 20
    pane = sheet.find("m:sheetViews/m:sheetView/m:pane", NS)
    assert (pane.get("ySplit"), pane.get("state"), pane.get("topLeftCell")) == ("1", "frozen", "A2")
    name = workbook.find("m:definedNames/m:definedName", NS)
    assert (name.get("name"), name.text) == ("_xlnm._FilterDatabase", "'Registrations'!$A$1:$T$3")
    phones = [c for c in sheet.iter("{%s}c" % NS["m"]) if c.get("r")[:-1] == "J" and c.get("r") != "J1"]
    assert [(c.get("t"), "".join(c.itertext())) for c in phones] == [
        ("inlineStr", "+81 90 1234 5678"), ("inlineStr", "+7 701 123 4567")]  # text, never a number


def _libreoffice_cells(tmp_path, source: Path, infilter: str | None = None) -> list[list[tuple[str, str]]]:
    """The first sheet as LibreOffice reads `source`: rows of (value type, text) per cell."""
    import shutil
    import subprocess
    import xml.etree.ElementTree as ET

    if shutil.which("soffice") is None:
        if os.environ.get("FORUM_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("FORUM_REQUIRE_LIBREOFFICE=1 but soffice is not installed "
                        "(apt-get install libreoffice-calc-nogui)", pytrace=False)
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    out = tmp_path / "out"
    cmd = ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile"]
    if infilter:
        cmd.append(f"--infilter={infilter}")
    subprocess.run(cmd + ["--convert-to", "fods", "--outdir", str(out), str(source)], check=True,
                   capture_output=True, timeout=120)
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
          "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
          "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
    root = ET.parse(out / (source.stem + ".fods")).getroot()
    sheet = root.find(".//table:table", ns)
    rows_ = []
    for row in sheet.findall("table:table-row", ns):
        cells = []
        for cell in row.findall("table:table-cell", ns):
            kind = cell.get(f"{{{ns['office']}}}value-type") or ""
            if cell.get(f"{{{ns['table']}}}formula"):
                kind = "formula"
            text = "\n".join("".join(p.itertext()) for p in cell.findall("text:p", ns))
            repeat = int(cell.get(f"{{{ns['table']}}}number-columns-repeated", "1"))
            cells.extend([(kind, text)] * min(repeat, 50))
        if any(text for _kind, text in cells):  # LibreOffice writes the sheet's empty rows too
            rows_.append(cells)
    return rows_


PHONES = ["+998 90 123 45 67", "+7 701 123 4567", "+81 90 1234 5678", "+1 201 555 0123"]
# LibreOffice's CSV import with "Evaluate formulas" on (the 13th option): the strictest reader here.
CSV_EVALUATING = "Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1,true"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_libreoffice_reads_phones_as_text_without_an_apostrophe_and_runs_no_formula(tmp_path, fmt):
    data = [sample_row(i, **{"Phone": phone, "Company": "=1+1", "City": "@SUM(1;2)", "Position": "-2+3"})
            for i, phone in enumerate(PHONES, 1)]
    path = tmp_path / f"r.{fmt}"
    path.write_bytes(to_csv(data) if fmt == "csv" else to_xlsx(data))
    header, *got = _libreoffice_cells(tmp_path, path, CSV_EVALUATING if fmt == "csv" else None)
    assert [text for _kind, text in header[:len(HEADER)]] == list(HEADER)
    phone, company, city, position = (HEADER.index(c) for c in ("Phone", "Company", "City", "Position"))
    assert [r[phone] for r in got] == [("string", p) for p in PHONES]
    for r in got:
        assert r[company] == ("string", "'=1+1")  # neutralised: text, never computed
        assert r[city] == ("string", "'@SUM(1;2)")
        assert r[position] == ("string", "'-2+3")
        assert not any(kind == "formula" for kind, _text in r)


def test_without_neutralising_libreoffice_would_run_the_formula(tmp_path):
    """The check above can fail: the same reader computes a formula cell that is not neutralised."""
    path = tmp_path / "raw.csv"
    path.write_bytes(b'"a","b"\r\n"=1+1","+998 90 123 45 67"\r\n')
    _header, row = _libreoffice_cells(tmp_path, path, CSV_EVALUATING)
    assert row[0] == ("formula", "2")
    assert row[1] == ("string", "+998 90 123 45 67")
