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
from dataclasses import dataclass, field
from typing import IO, Iterable, Iterator, Mapping, NamedTuple, Sequence

import phonenumbers

from forum.review import xlsx

# The columns, named in English: the header row of a file made without labels, and the keys of the
# translated header (forum.review.exporting.labels) an organizer gets.
HEADER = (
    "ID", "State", "Late", "Source", "Category", "Full name", "Name (Latin)", "Position", "E-mail", "Phone",
    "Languages", "Company", "Company (English)", "Country", "City", "Sector", "Contact person", "Contact e-mail",
    "Registered (UTC)", "Rejection reason",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number as the export writes it (phone_text): '+', the country code, groups of digits with one
# space between. No spreadsheet runs it: LibreOffice keeps it as text whatever its import options
# (tests/review/test_exports.py opens a CSV of them there); to Excel a '+' starts a formula, and
# numbers side by side with spaces between are no formula it can compute or call anything with.
# So it keeps its '+' and gets no apostrophe: what an organizer copies into a phone dials.
PHONE_TEXT = re.compile(r"\+[0-9]{1,4}(?: [0-9]{1,14})+")
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
    source: object  # Source (the company registration's)
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
    decision_reason: str


@dataclass(frozen=True)
class Labels:
    """How the file names things: the header row, and a label for each code (state, category, source, sector,
    country, language). Made in the organizer's language by forum.review.exporting.labels(); by default
    the codes themselves. A code without a label is written as it is."""

    header: Sequence[str] = HEADER
    states: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    sectors: Mapping[str, str] = field(default_factory=dict)
    countries: Mapping[str, str] = field(default_factory=dict)
    languages: Mapping[str, str] = field(default_factory=dict)
    yes: str = "yes"
    no: str = "no"


CODES = Labels()


def phone_text(phone: str | None) -> str:
    """'+998901234567' (as stored, E.164) -> '+998 90 123 45 67': grouped as the country writes it, with
    spaces only (PHONE_TEXT). Anything that is not a valid number is returned as it is."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    if not phonenumbers.is_possible_number(number):
        return phone
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if not text.startswith("+"):
        return phone
    return "+" + _NOT_DIGIT.sub(" ", text[1:]).strip()


_NOT_DIGIT = re.compile(r"[^0-9]+")


def neutralise(value: object) -> object:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    return neutralised((value,))[0]


def neutralised(row: Sequence) -> list:
    """neutralise() for a whole row: it runs for every cell of every row, so the rule is written once, here.
    Only what a spreadsheet would run: a phone number written as PHONE_TEXT is left as it is."""
    return ["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) and not _is_phone(v) else v for v in row]


_is_phone = PHONE_TEXT.fullmatch


def rows(records: Iterable, labels: Labels = CODES) -> Iterator[tuple]:
    """Records (tuples in `Record`'s order, e.g. database rows) -> tuples of cells in HEADER order, codes
    written as `labels` says."""
    state_of, category_of, source_of = labels.states.get, labels.categories.get, labels.sources.get
    sector_of, country_of, language_of = labels.sectors.get, labels.countries.get, labels.languages.get
    yes, no = labels.yes, labels.no
    # Unpacked by position: attribute access on 20,000 database rows costs more than the CSV.
    for (id_, state, is_late, source, category, full_name, latin_name, position, email, phone, languages,
         legal_name, name_en, country, city, sector, contact_name, contact_email, created_at,
         decision_reason) in records:
        state, category, source = state.value, category.value, source.value
        yield (
            id_, state_of(state, state), yes if is_late else no, source_of(source, source),
            category_of(category, category), full_name, latin_name, position, email, phone_text(phone),
            ", ".join([language_of(c, c) for c in languages or ()]), legal_name, name_en, country_of(country, country),
            city, sector_of(sector, sector), contact_name, contact_email, created_at.strftime("%Y-%m-%d %H:%M"),
            decision_reason if state == "rejected" else "",
        )


def csv_chunks(data: Iterable[Sequence], chunk_bytes: int | None = None, header: Sequence[str] = HEADER
               ) -> Iterator[bytes]:
    """The CSV as UTF-8 chunks of about `chunk_bytes` (whole rows): the BOM and the header first, then the rows.

    Every cell is quoted: Excel in a locale whose list separator is ';' (Russian, Kazakh) splits an
    unquoted line on ';' too, so `Acme;=1+1;` would become three cells, the middle one a formula that
    no neutralising of the cell's start can see. Inside quotes a ';' is text.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL)
    writer.writerow(neutralised(header))
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


def to_csv(data: Iterable[Sequence], header: Sequence[str] = HEADER) -> bytes:
    return b"".join(csv_chunks(data, header=header))


def write_xlsx(data: Iterable[Sequence], out: IO[bytes], header: Sequence[str] = HEADER) -> None:
    """The workbook, written row by row (forum.review.xlsx) to a seekable binary file."""
    xlsx.write(out, neutralised(header), (neutralised(_without_controls(row)) for row in data), sheet=SHEET)


def _without_controls(row: Sequence) -> Sequence:
    # Control characters (a pasted Word line break) cannot be stored in XLSX; each becomes a space,
    # as openpyxl did, and what else XML cannot carry (U+FFFE) goes, before neutralising: so that
    # "\x0b=1+1" and "\ufffe=1+1" are neutralised as the formulas they become.
    # One search of the row's text first: almost no row has any.
    if _UNSAFE.search("".join([v for v in row if isinstance(v, str)])) is None:
        return row
    return [xlsx.fit(_CONTROL.sub(" ", v)) if isinstance(v, str) else v for v in row]


def xlsx_chunks(data: Iterable[Sequence], chunk_bytes: int | None = None, header: Sequence[str] = HEADER
                ) -> Iterator[bytes]:
    """The workbook in chunks, through a temporary file that is gone once the last chunk is read
    (or the download is abandoned): a ZIP cannot be sent before it is finished, but it need not
    be held in memory."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    with tempfile.TemporaryFile() as tmp:
        write_xlsx(data, tmp, header)
        tmp.seek(0)
        while chunk := tmp.read(chunk_bytes):
            yield chunk


def to_xlsx(data: Iterable[Sequence], header: Sequence[str] = HEADER) -> bytes:
    out = io.BytesIO()
    write_xlsx(data, out, header)
    return out.getvalue()
