"""The registration list as CSV and XLSX: Excel-safe cells, Unicode that survives, filters, access."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from forum.registration.models import RegState
from forum.review import services as review
from forum.review.exports import HEADER, neutralise, to_csv, to_xlsx
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
    assert first == tuple(neutralise(v) for v in sample_row(7))  # numbers stay numbers, text stays text
    assert first[0] == 7
    assert first[HEADER.index("Full name")] == "山田 太郎"
    assert first[HEADER.index("Phone")] == "'+81 90 1234 5678"
    assert second[HEADER.index("Full name")] == "Қасымов Ерлан"
    assert second[HEADER.index("Company")] == "'=1+1"
    assert ws.cell(row=3, column=HEADER.index("Company") + 1).data_type == "s"  # text, not a formula


def test_to_xlsx_survives_control_characters_pasted_into_a_field():
    """PRODUCTION BUG (fails today): Word's manual line break pastes as \\x0b; nfc() keeps it,
    and openpyxl refuses such characters, so the whole export fails."""
    body = to_xlsx([sample_row(1, **{"Position": "Director\x0bSales"}),
                    sample_row(2, **{"Company": "\x0b=1+1"})])
    wb = load_workbook(io.BytesIO(body))
    ws = wb.active
    _h, first, second = [tuple(c.value for c in row) for row in ws.iter_rows()]
    position = first[HEADER.index("Position")]
    assert "Director" in position and "Sales" in position
    # Once the control character is gone the cell must still not be a formula.
    company = ws.cell(row=3, column=HEADER.index("Company") + 1)
    assert company.data_type == "s"
    assert not str(company.value).startswith("=")


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
    """PRODUCTION BUG (fails today, 500): see test_to_xlsx_survives_control_characters_pasted_into_a_field."""
    forum = f.forum(slug="vt")
    org = f.organizer()
    f.registration_(forum, delegates=[f.delegate_input(position="Director\x0bSales")])
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
