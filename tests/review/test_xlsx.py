"""The streaming XLSX writer: every value comes back exactly (as far as XML and Excel allow), the parts
are valid and in the schema's order, and memory does not grow with the rows."""
from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import os
import shutil
import struct
import subprocess
import tracemalloc
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from forum.review import xlsx

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
M = "{%s}" % NS["m"]


def write(header, rows, **kw) -> bytes:
    out = io.BytesIO()
    xlsx.write(out, header, rows, **kw)
    return out.getvalue()


def cells(body: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(body)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def part(body: bytes, name: str) -> ET.Element:
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        return ET.fromstring(zf.read(name))


def sheet_xml(body: bytes) -> ET.Element:
    return part(body, "xl/worksheets/sheet1.xml")


# --- values ------------------------------------------------------------------------------------

HOSTILE = [
    "a < b > c & d", 'He said "hi"', "O'Brien", "x]]>y", "]]>", "<![CDATA[x]]>", "&amp; stays &amp;",
    "<t>not a tag</t>", "&#13;", "  leading and trailing  ", " ", "\t tab", "line\nbreak\n", "cr\rlf\r\n",
    "😀 𝄞 𠀋", "山田 太郎", "Сәуле ә ғ қ ң ө ұ ү һ і", "Oʻrinboyev Gʻayrat", "\u200b\u00a0zero-width",
    "=1+1", "'=1+1",
]


def test_hostile_strings_come_back_exactly():
    body = write(["#", "value"], [[i, v] for i, v in enumerate(HOSTILE)])
    assert cells(body)[1:] == [[i, v] for i, v in enumerate(HOSTILE)]
    # openpyxl keeps edge spaces anyway; Excel and LibreOffice keep them only when told to.
    texts = list(sheet_xml(body).iter(M + "t"))
    assert len(texts) == len(HOSTILE) + 2
    assert {t.get("{http://www.w3.org/XML/1998/namespace}space") for t in texts} == {"preserve"}


@pytest.mark.parametrize("value, expected", [
    ("a\ufffeb\uffffc", "abc"),
    ("nul\x00here", "nulhere"),
    ("\x01\x08\x0b\x0c\x0e\x1fbell", "bell"),
    ("lone \ud800 surrogate \udfff", "lone  surrogate "),
    ("\t\n kept", "\t\n kept"),
])
def test_characters_xml_cannot_carry_are_removed(value, expected):
    assert xlsx.fit(value) == expected
    assert cells(write(["v"], [[value]]))[1] == [expected]


def test_a_string_of_only_illegal_characters_is_an_empty_cell():
    assert cells(write(["a", "b"], [["\x00\ufffe", "x"]]))[1] == [None, "x"]


def test_strings_up_to_excels_cell_limit_are_kept_longer_ones_cut():
    full = "=" + "ж" * (xlsx.MAX_CELL_CHARS - 1)
    astral_full = "a" + "😀" * ((xlsx.MAX_CELL_CHARS - 1) // 2)  # 32,767 UTF-16 units: fits
    body = write(["a", "b", "c", "d"], [
        [full, full + "ABC", astral_full, "😀" * 20_000],
    ])
    [a, b, c, d] = cells(body)[1]
    assert a == full
    assert b == full  # the start is kept: a neutralising apostrophe in front survives the cut
    assert c == astral_full
    assert d == "😀" * (xlsx.MAX_CELL_CHARS // 2)  # 40,000 UTF-16 units cut to 32,766, no half emoji
    assert len(xlsx.fit("x" * 100_000)) == xlsx.MAX_CELL_CHARS


def test_numbers_stay_numbers_none_and_empty_are_empty_cells():
    class Level(enum.IntEnum):
        HIGH = 3

    row = [0, -5, 2**53, 3.5, -0.25, 1e20, 1.5e-7, True, False, None, "", Level.HIGH, "12"]
    body = write([f"c{i}" for i in range(len(row))], [row])
    ws = load_workbook(io.BytesIO(body)).active
    got = [c.value for c in ws[2]]
    assert got == [0, -5, 2**53, 3.5, -0.25, 1e20, 1.5e-7, True, False, None, None, 3, "12"]
    assert [c.data_type for c in ws[2]][:7] == ["n"] * 7
    assert [type(v) for v in got[:3]] == [int, int, int]
    assert ws["H2"].data_type == "b"
    assert ws["M2"].data_type == "s"  # a string of digits stays text


def test_values_without_an_xlsx_number_are_written_as_their_text():
    class Colour(str, enum.Enum):
        RED = "red"

        def __str__(self):
            return self.value

    row = [float("inf"), float("nan"), dt.date(2026, 5, 1), Decimal("1.10"), Colour.RED, "<&>"]
    assert cells(write(list("abcdef"), [row]))[1] == ["inf", "nan", "2026-05-01", "1.10", "red", "<&>"]


# --- the sheet ----------------------------------------------------------------------------------

def test_header_is_bold_and_frozen_and_the_sheet_named():
    body = write(["ID", "Name"], [[1, "a"], [2, "b"]], sheet="Registrations")
    wb = load_workbook(io.BytesIO(body))
    ws = wb.active
    assert wb.sheetnames == ["Registrations"]
    assert [c.value for c in ws[1]] == ["ID", "Name"]
    assert [c.font.b for c in ws[1]] == [True, True]
    assert [c.font.b for c in ws[2]] == [False, False]
    assert ws.freeze_panes == "A2"


def test_autofilter_covers_exactly_the_rows_written():
    header = [f"h{i}" for i in range(18)]
    body = write(header, ([i] * 18 for i in range(3)))
    assert load_workbook(io.BytesIO(body)).active.auto_filter.ref == "A1:R4"
    # Excel's hidden name for the filtered range, in the workbook
    [name] = part(body, "xl/workbook.xml").iterfind("m:definedNames/m:definedName", NS)
    assert (name.get("name"), name.get("localSheetId"), name.text) == ("_xlnm._FilterDatabase", "0",
                                                                      "'Sheet1'!$A$1:$R$4")
    assert load_workbook(io.BytesIO(write(header, []))).active.auto_filter.ref == "A1:R1"


def test_write_returns_the_number_of_rows():
    assert xlsx.write(io.BytesIO(), ["a"], ([i] for i in range(250))) == 250
    assert xlsx.write(io.BytesIO(), ["a"], []) == 0


@pytest.mark.parametrize("index, letters", [
    (0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA"),
    (16383, "XFD"),
])
def test_column_letters(index, letters):
    assert xlsx.column_letter(index) == letters


def test_refs_past_column_z():
    header = [f"col {i}" for i in range(30)]
    rows = [[f"r{r}c{c}" for c in range(30)] for r in range(2)]
    rows[1][28] = None  # a gap: the next cell must still land in its own column
    body = write(header, rows)
    ws = load_workbook(io.BytesIO(body)).active
    assert ws.max_column == 30
    assert ws["AD1"].value == "col 29"
    assert ws["Z2"].value == "r0c25" and ws["AA2"].value == "r0c26" and ws["AD3"].value == "r1c29"
    assert ws["AC3"].value is None
    assert ws.auto_filter.ref == "A1:AD3"
    refs = [c.get("r") for c in sheet_xml(body).iterfind("m:sheetData/m:row[3]/m:c", NS)]
    assert refs == [f"{xlsx.column_letter(i)}3" for i in range(30) if i != 28]
    assert [r.get("r") for r in sheet_xml(body).iterfind("m:sheetData/m:row", NS)] == ["1", "2", "3"]


def test_column_widths_fit_the_header_and_first_rows_within_limits():
    body = write(["ID", "Full name", "Note", "名前", "Address"], [
        [1, "Ivanov Ivan", "x" * 500, "山田 太郎", "line one\nline two"],
        *([i, "a", "b", "c", "d"] for i in range(2, 400)),
    ])
    ws = load_workbook(io.BytesIO(body)).active
    width = {c: ws.column_dimensions[c].width for c in "ABCDE"}
    assert width["A"] == xlsx.MIN_WIDTH  # "ID" and small numbers: the minimum
    assert width["B"] == len("Ivanov Ivan") + 2
    assert width["C"] == xlsx.MAX_WIDTH  # capped
    assert width["D"] == 2 * len("山田") + 1 + 2 * len("太郎") + 2  # wide characters count twice
    assert width["E"] == len("line one") + 2  # the longest line, not the whole text
    cols = sheet_xml(body).findall("m:cols/m:col", NS)
    assert [(c.get("min"), c.get("max"), c.get("customWidth")) for c in cols] == [
        (str(i), str(i), "1") for i in range(1, 6)]


def test_column_widths_sample_only_the_first_rows():
    rows = [["a"]] * xlsx.WIDTH_SAMPLE_ROWS + [["x" * 40]]
    assert load_workbook(io.BytesIO(write(["h"], rows))).active.column_dimensions["A"].width == xlsx.MIN_WIDTH
    rows = [["a"]] * (xlsx.WIDTH_SAMPLE_ROWS - 1) + [["x" * 40]]
    assert load_workbook(io.BytesIO(write(["h"], rows))).active.column_dimensions["A"].width == 42


@pytest.mark.parametrize("name", ["", "a" * 32, "a/b", "a:b", "[x]", "what?", "a*b", "a\\b", "'quoted", "quoted'"])
def test_sheet_names_excel_refuses_are_refused(name):
    with pytest.raises(ValueError):
        write(["a"], [], sheet=name)


def test_sheet_name_with_an_apostrophe_ampersand_and_quotes():
    body = write(["a"], [[1]], sheet='O\'Brien & "Co" <1>')
    assert load_workbook(io.BytesIO(body)).sheetnames == ['O\'Brien & "Co" <1>']
    [name] = part(body, "xl/workbook.xml").iterfind("m:definedNames/m:definedName", NS)
    assert name.text == "'O''Brien & \"Co\" <1>'!$A$1:$A$2"


# --- the package --------------------------------------------------------------------------------

def test_worksheet_elements_follow_the_schema_order():
    body = write(["a", "b"], [[1, "x"]])
    assert [child.tag.removeprefix(M) for child in sheet_xml(body)] == [
        "sheetViews", "sheetFormatPr", "cols", "sheetData", "autoFilter"]
    pane = sheet_xml(body).find("m:sheetViews/m:sheetView/m:pane", NS)
    assert pane.attrib == {"ySplit": "1", "topLeftCell": "A2", "activePane": "bottomLeft", "state": "frozen"}


def test_every_part_is_well_formed_and_has_a_content_type():
    body = write(["a"], [["<x>"]])
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
        for name in names:
            ET.fromstring(zf.read(name))
        types = ET.fromstring(zf.read("[Content_Types].xml"))
        assert zf.getinfo("xl/worksheets/sheet1.xml").compress_type == zipfile.ZIP_DEFLATED
    overrides = {o.get("PartName") for o in types if o.tag.endswith("Override")}
    assert overrides == {"/" + n for n in names if n.endswith(".xml") and n != "[Content_Types].xml"}
    assert {"xl/workbook.xml", "xl/styles.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels"} <= set(names)
    rels = part(body, "xl/_rels/workbook.xml.rels")
    assert {r.get("Target") for r in rels} == {"worksheets/sheet1.xml", "styles.xml"}


def test_the_sheet_entry_is_zip64_so_it_may_pass_4_gib():
    """Its size is unknown when the entry starts; a ZIP64 local header leaves room for any size."""
    body = write(["a"], [[1]])
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    sig, version, *_rest, name_len, extra_len = struct.unpack("<IHHHHHIIIHH", body[info.header_offset:][:30])
    extra = body[info.header_offset + 30 + name_len:][:extra_len]
    assert sig == 0x04034B50
    assert version >= 45  # what Excel wants to see with ZIP64 (else it offers a repair)
    assert struct.unpack("<H", extra[:2])[0] == 0x0001  # the ZIP64 extra field


def test_memory_stays_flat_in_the_number_of_rows():
    def peak(n: int) -> int:
        rows = ([i, f"Қасымов Ерлан {i}", "株式会社テスト", "x" * 40, i * 1.5] for i in range(n))
        tracemalloc.start()
        try:
            xlsx.write(io.BytesIO(), ["a", "b", "c", "d", "e"], rows)  # the output buffer itself is not traced
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1_000), peak(10_000)
    # BytesIO's buffer grows in C and is not traced; everything the writer holds in Python is.
    assert large < small * 1.5 + 256 * 1024, (small, large)


# --- property: whatever the rows, they come back ------------------------------------------------

EXCEL_INTS = st.integers(min_value=-(2**53), max_value=2**53)  # what a double holds exactly
CELL = st.one_of(st.none(), EXCEL_INTS, st.text(max_size=30),
                 st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL, min_size=1, max_size=6), max_size=8))
def test_any_rows_round_trip_through_openpyxl(rows):
    width = max((len(r) for r in rows), default=1)
    header = [f"h{i}" for i in range(width)]
    body = write(header, rows)

    def expected(v):
        if isinstance(v, str):
            v = xlsx.fit(v)
            return v or None
        return v

    ws = load_workbook(io.BytesIO(body)).active
    # Cell by cell: openpyxl's rows stop at the last non-empty one.
    got = [[ws.cell(r, c).value for c in range(1, width + 1)] for r in range(1, len(rows) + 2)]
    assert got[0] == header
    assert got[1:] == [[expected(v) for v in r] + [None] * (width - len(r)) for r in rows]
    assert ws.auto_filter.ref == f"A1:{xlsx.column_letter(width - 1)}{len(rows) + 1}"


# --- another reader: LibreOffice (CI installs it and requires this test) ------------------------------

def test_libreoffice_reads_the_same_values_as_the_csv(tmp_path):
    """Excel cannot run here; LibreOffice is the second opinion on the file (not only openpyxl's)."""
    if shutil.which("soffice") is None:
        if os.environ.get("FORUM_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("FORUM_REQUIRE_LIBREOFFICE=1 but soffice is not installed "
                        "(apt-get install libreoffice-calc-nogui)", pytrace=False)
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    from forum.review.exports import HEADER, to_csv, to_xlsx

    people = ["髙橋 一郎", "Сәуле Тоғжанқызы ә ғ қ ң ө ұ ү һ і", "Oʻrinboyev Gʻayrat", "😀 <b>&amp;</b> ]]>",
              "  spaced  ", "two\nlines", "=1+1", "x" * 300]
    rows = [tuple([i] + [p] * (len(HEADER) - 1)) for i, p in enumerate(people, 1)]
    (tmp_path / "r.xlsx").write_bytes(to_xlsx(rows))
    # 44 = comma, 34 = double quote, 76 = UTF-8; the rest: as shown (cells are text), one sheet.
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                    "--outdir", str(tmp_path), str(tmp_path / "r.xlsx")], check=True, capture_output=True, timeout=120)
    [out] = tmp_path.glob("r*.csv")
    got = list(csv.reader(io.StringIO(out.read_text("utf-8"), newline="")))
    expected = list(csv.reader(io.StringIO(to_csv(rows).decode("utf-8-sig"), newline="")))
    assert got == expected
