"""A small streaming XLSX writer: one sheet, a bold frozen header row, an autofilter, plain values.

Pure (no Flask, no database): a header and rows of str / int / float / bool / None in, a workbook
out to a binary file. The sheet's XML is deflated into the ZIP as each row is written, so memory
stays flat in the number of rows. Strings are inline (`t="inlineStr"`): a shared-string table
would have to be held in memory until the end.

Why not openpyxl: its per-cell work (a Cell object, an lxml element) is most of the time of a
20,000-row export. This writes each cell as a few string operations. It only writes what the
registration list needs; reading XLSX is still openpyxl's job (tests, imports).

The parts follow the schema's element order (Excel offers to "repair" a file that does not):
worksheet = sheetViews, cols, sheetData, autoFilter. There is no <dimension>: it comes before
the rows, whose number is known only after the last one (it is optional; openpyxl's write-only
mode leaves it out too).
"""
from __future__ import annotations

import re
import unicodedata
import zipfile
from itertools import chain, islice
from typing import IO, Iterable, Sequence

MAX_CELL_CHARS = 32_767  # Excel's limit, counted in UTF-16 code units
WIDTH_SAMPLE_ROWS = 100  # column widths come from the header and the first rows
MIN_WIDTH, MAX_WIDTH = 6, 60
COMPRESS_LEVEL = 1  # the XML is repetitive: level 1 is a little bigger, and much faster than 6

# What XML 1.0 cannot carry: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Anything that needs more than the fast path: illegal characters, or characters to escape.
# A CR is written as &#13;, because an XML parser turns a literal CR (or CRLF) into LF.
_SPECIAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff&<>\r]")

_BAD_SHEET_NAME = re.compile(r"[][:*?/\\\x00-\x1f]")

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = _DECL + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/app.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    '</Types>'
)
ROOT_RELS = _DECL + (
    f'<Relationships xmlns="{_NS_PKG_R}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'extended-properties" Target="docProps/app.xml"/>'
    '</Relationships>'
)
APP = _DECL + (
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    '<Application>forum</Application></Properties>'
)
WORKBOOK_RELS = _DECL + (
    f'<Relationships xmlns="{_NS_PKG_R}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/>'
    '</Relationships>'
)
# Two cell formats: 0 = the default font, 1 = bold (the header row).
STYLES = _DECL + (
    f'<styleSheet xmlns="{_NS}">'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '</fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
BOLD = 1


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 701 -> ZZ, 702 -> AAA."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def fit(value: str) -> str:
    """A string a cell can hold: without what XML 1.0 forbids, at most MAX_CELL_CHARS UTF-16 units."""
    value = _XML_ILLEGAL.sub("", value)
    if len(value) * 2 <= MAX_CELL_CHARS:  # fast path: even all astral, it fits
        return value
    units = len(value.encode("utf-16-le")) // 2
    while units > MAX_CELL_CHARS:  # cut whole code points, so no surrogate half is left behind
        value = value[:len(value) - max(1, (units - MAX_CELL_CHARS) // 2)]
        units = len(value.encode("utf-16-le")) // 2
    return value


def _text(value: str) -> str:
    """The element content of a <t>: illegal characters gone, length capped, metacharacters escaped."""
    value = fit(value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _width(value: object) -> int:
    """About how many character widths a value needs; East Asian wide characters take two."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    longest = max(text.split("\n"), key=len)
    if longest.isascii():
        return len(longest)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def widths(rows: Sequence[Sequence]) -> list[float]:
    """One width per column, from the widest sampled value, between MIN_WIDTH and MAX_WIDTH."""
    ncols = max((len(r) for r in rows), default=0)
    best = [0] * ncols
    for row in rows:
        for i, v in enumerate(row):
            best[i] = max(best[i], _width(v))
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) for w in best]


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _sheet_head(col_widths: Sequence[float]) -> str:
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(col_widths, 1))
    return _DECL + (
        f'<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        '</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
    )


def _row_xml(r: int, row: Sequence, letters: Sequence[str], style: str = "") -> str:
    """One <row>: cells in order; None (and "") leave the cell empty."""
    n = str(r)
    parts = [f'<row r="{n}">']
    append = parts.append
    for col, v in zip(letters, row):
        if v is None:
            continue
        t = type(v)
        if t is str:
            if _SPECIAL.search(v) is not None or len(v) * 2 > MAX_CELL_CHARS:
                v = _text(v)
            if v:
                append(f'<c r="{col}{n}"{style} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>')
        elif t is int or (t is float and v - v == 0):  # v - v is nan for inf and nan: no such number in XLSX
            append(f'<c r="{col}{n}"{style}><v>{v!r}</v></c>')
        elif t is bool:
            append(f'<c r="{col}{n}"{style} t="b"><v>{int(v)}</v></c>')
        elif isinstance(v, int):  # an IntEnum
            append(f'<c r="{col}{n}"{style}><v>{int(v)}</v></c>')
        else:  # inf and nan, a date, a Decimal, a StrEnum...: as its text, which is what a CSV shows
            text = _text(str(v))
            if text:
                append(f'<c r="{col}{n}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
    append("</row>")
    return "".join(parts)


def write(out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence], *, sheet: str = "Sheet1") -> int:
    """The workbook to `out` (a seekable binary file): the header row in bold and frozen, then the rows,
    an autofilter over them all. Returns the number of data rows written."""
    if not sheet or len(sheet) > 31 or _BAD_SHEET_NAME.search(sheet) or sheet[0] == "'" or sheet[-1] == "'":
        raise ValueError(f"Excel cannot name a sheet {sheet!r}")
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
    ncols = max([len(header), *(len(r) for r in sample)])
    letters = [column_letter(i) for i in range(ncols)]
    last_row = 1
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("docProps/app.xml", APP)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", STYLES)
        # force_zip64: the sheet's size is unknown when its entry starts, and may pass 2 GiB.
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            write_text = _buffered(raw)
            write_text(_sheet_head(widths([header, *sample])))
            write_text(_row_xml(1, header, letters, f' s="{BOLD}"'))
            for last_row, row in enumerate(chain(sample, rows), 2):
                write_text(_row_xml(last_row, row, letters))
            write_text(f'</sheetData><autoFilter ref="A1:{letters[-1]}{last_row}"/></worksheet>' if ncols
                       else "</sheetData></worksheet>")
            write_text(None)
        ref = f"{_quote_sheet(sheet)}!$A$1:${letters[-1]}${last_row}" if ncols else ""
        zf.writestr("xl/workbook.xml", _workbook(sheet, ref))
    return last_row - 1


def _workbook(sheet: str, filter_ref: str) -> str:
    # Excel names the autofilter's range _FilterDatabase (hidden); without the name it still opens,
    # but writes it back on save.
    names = (f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
             f"{_escape_attr(filter_ref)}</definedName></definedNames>") if filter_ref else ""
    return _DECL + (
        f'<workbook xmlns="{_NS}" xmlns:r="{_NS_R}">'
        '<bookViews><workbookView/></bookViews>'
        f'<sheets><sheet name="{_escape_attr(sheet)}" sheetId="1" r:id="rId1"/></sheets>'
        f"{names}</workbook>"
    )


def _escape_attr(value: str) -> str:
    return (_XML_ILLEGAL.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _buffered(raw: IO[bytes], size: int = 64 * 1024):
    """A text writer that encodes and hands `raw` about `size` characters at a time; None flushes.
    (Writing to a ZIP entry per row costs a deflate call per row.)"""
    buf: list[str] = []
    held = 0

    def write_text(text: str | None) -> None:
        nonlocal held
        if text is not None:
            buf.append(text)
            held += len(text)
            if held < size:
                return
        if buf:
            raw.write("".join(buf).encode("utf-8"))
            buf.clear()
            held = 0

    return write_text
