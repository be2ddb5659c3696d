"""The registration list as CSV (Excel-safe) or XLSX. Plain rows in, bytes or chunks of bytes out.

Both formats stream: CSV is encoded a batch of rows at a time, XLSX is written by a small streaming
writer of our own (forum.review.xlsx) to a temporary file that is then read back in chunks. Memory
stays flat in the number of rows (20,000 delegates in one forum is a real size).
"""
from __future__ import annotations

import csv
import io
import re
import tempfile
from typing import IO, Iterable, Iterator, NamedTuple, Sequence

from forum.review import xlsx

HEADER = (
    "ID", "State", "Late", "Category", "Full name", "Name (Latin)", "Position", "E-mail", "Phone", "Languages",
    "Company", "Company (English)", "Country", "City", "Sector", "Contact person", "Contact e-mail", "Registered (UTC)",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The characters openpyxl's ILLEGAL_CHARACTERS_RE matches: C0 controls but tab, LF and CR.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# ...and the rest of what XML 1.0 cannot carry: lone surrogates, U+FFFE, U+FFFF.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SHEET = "Registrations"
BOM = b"\xef\xbb\xbf"  # makes Excel read UTF-8: Cyrillic and Japanese open correctly
CHUNK_BYTES = 64 * 1024


class Record(NamedTuple):
    """One delegate with their company, as selected for the export (any object with these attributes will do)."""

    id: int
    state: object  # RegState
    is_late: bool
    category: object  # Category
    full_name: str
    latin_name: str
    position: str
    email: str
    phone: str
    languages: list[str] | None
    legal_name: str
    name_en: str
    country: str
    city: str
    sector: str
    contact_name: str
    contact_email: str
    created_at: object  # aware UTC datetime


def neutralise(value: object) -> object:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    return neutralised((value,))[0]


def neutralised(row: Sequence) -> list:
    """neutralise() for a whole row: it runs for every cell of every row, so the rule is written once, here."""
    return ["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in row]


def rows(records: Iterable) -> Iterator[tuple]:
    """Records (tuples in `Record`'s order, e.g. database rows) -> tuples of cells in HEADER order."""
    # Unpacked by position: attribute access on 20,000 database rows costs more than the CSV.
    for (id_, state, is_late, category, full_name, latin_name, position, email, phone, languages, legal_name,
         name_en, country, city, sector, contact_name, contact_email, created_at) in records:
        yield (
            id_, state.value, "yes" if is_late else "no", category.value, full_name, latin_name, position, email,
            phone, " ".join(languages or []), legal_name, name_en, country, city, sector, contact_name,
            contact_email, created_at.strftime("%Y-%m-%d %H:%M"),
        )


def csv_chunks(data: Iterable[Sequence], chunk_bytes: int | None = None) -> Iterator[bytes]:
    """The CSV as UTF-8 chunks of about `chunk_bytes` (whole rows): the BOM and the header first, then the rows.

    Every cell is quoted: Excel in a locale whose list separator is ';' (Russian, Kazakh) splits an
    unquoted line on ';' too, so `Acme;=1+1;` would become three cells, the middle one a formula that
    no neutralising of the cell's start can see. Inside quotes a ';' is text.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    yield BOM + buf.getvalue().encode("utf-8")
    buf.seek(0)
    buf.truncate()
    for row in data:
        writer.writerow(neutralised(row))
        if buf.tell() >= chunk_bytes:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode("utf-8")


def to_csv(data: Iterable[Sequence]) -> bytes:
    return b"".join(csv_chunks(data))


def write_xlsx(data: Iterable[Sequence], out: IO[bytes]) -> None:
    """The workbook, written row by row (forum.review.xlsx) to a seekable binary file."""
    xlsx.write(out, HEADER, (neutralised(_without_controls(row)) for row in data), sheet=SHEET)


def _without_controls(row: Sequence) -> Sequence:
    # Control characters (a pasted Word line break) cannot be stored in XLSX; each becomes a space,
    # as openpyxl did, and what else XML cannot carry (U+FFFE) goes, before neutralising: so that
    # "\x0b=1+1" and "\ufffe=1+1" are neutralised as the formulas they become.
    # One search of the row's text first: almost no row has any.
    if _UNSAFE.search("".join([v for v in row if isinstance(v, str)])) is None:
        return row
    return [xlsx.fit(_CONTROL.sub(" ", v)) if isinstance(v, str) else v for v in row]


def xlsx_chunks(data: Iterable[Sequence], chunk_bytes: int | None = None) -> Iterator[bytes]:
    """The workbook in chunks, through a temporary file that is gone once the last chunk is read
    (or the download is abandoned): a ZIP cannot be sent before it is finished, but it need not
    be held in memory."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    with tempfile.TemporaryFile() as tmp:
        write_xlsx(data, tmp)
        tmp.seek(0)
        while chunk := tmp.read(chunk_bytes):
            yield chunk


def to_xlsx(data: Iterable[Sequence]) -> bytes:
    out = io.BytesIO()
    write_xlsx(data, out)
    return out.getvalue()
