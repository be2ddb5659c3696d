"""The registration list as CSV (Excel-safe) or XLSX. Plain rows in, bytes out."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

HEADER = (
    "ID", "State", "Late", "Category", "Full name", "Name (Latin)", "Position", "E-mail", "Phone", "Languages",
    "Company", "Company (English)", "Country", "City", "Sector", "Contact person", "Contact e-mail", "Registered (UTC)",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def rows(regs: Iterable) -> Iterable[tuple]:
    for r in regs:
        c = r.company
        yield (
            r.id, r.state.value, "yes" if r.is_late else "no", r.category.value, r.full_name, r.latin_name,
            r.position, r.email, r.phone, " ".join(r.languages or []), c.legal_name, c.name_en, c.country, c.city,
            c.sector, c.contact_name, c.contact_email, r.created_at.strftime("%Y-%m-%d %H:%M"),
        )


def to_csv(data: Iterable[Sequence]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for row in data:
        writer.writerow([neutralise(v) for v in row])
    # The BOM makes Excel read UTF-8: Cyrillic and Japanese open correctly.
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(data: Iterable[Sequence]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Registrations"
    ws.append(HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in data:
        # Control characters (a pasted Word line break) are illegal in XLSX; strip them first, so
        # that "\x0b=1+1" is neutralised as the formula it becomes.
        ws.append([neutralise(ILLEGAL_CHARACTERS_RE.sub(" ", v) if isinstance(v, str) else v) for v in row])
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
