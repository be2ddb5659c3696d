"""Drawing the agenda PDFs with reportlab: plain sections in, pages out. Pure: no Flask, no database. The
caller (forum.agendas.pdf) hands `Section`s with every text already translated and formatted; this module only
places them.

Text is set in the badges' VL PGothic (forum/badges/render.py), embedded in the file, so Japanese, Kazakh
Cyrillic and Uzbek Latin (oʻ, U+02BB) print on any printer; each text shrinks to its column and then wraps
(render.fit: measured with the font's own widths, never wider than the column, never cut).

A document is a run of sections (one delegate's agenda, one table's sign, one interpreter's sheet), each from
a new page, drawn straight onto one canvas as the caller's iterator yields them: the help desk's bundle of a
whole forum never holds more than one section's rows as objects. Reportlab keeps each finished page's
compressed operators until the file is written (a few kilobytes a page; bench/agendas_pdf.py measures it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Iterable

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from forum.badges import qr, render
from forum.badges.render import FONT, LEADING, Block, fit

PAGE = A4
MARGIN = 15 * mm
INNER = PAGE[0] - 2 * MARGIN
BOTTOM = MARGIN + 8 * mm  # the footer lives below this line
PAD = 1.6 * mm  # inside a cell, each side
RULE = HexColor("#9a9a9a")
SHADE = HexColor("#eeeeee")
QR_WIDTH = 42 * mm  # the table sign's code: read from a seat across the table

# Text styles of a cell's items: (largest size in points, bold, colour).
STYLES = {
    "strong": (10.5, True, "#111111"),
    "normal": (9.5, False, "#111111"),
    "small": (8.5, False, "#4a4a4a"),
    "alert": (9.5, True, "#b3261e"),
}


@dataclass(frozen=True)
class Item:
    text: str
    style: str = "normal"  # a key of STYLES


Cell = tuple[Item, ...]


@dataclass(frozen=True)
class Row:
    day: str  # "Thursday, 20 May 2027": a line above the first row of each day
    cells: tuple[Cell, ...]


@dataclass
class Section:
    """Everything on one agenda, sign or sheet. `columns` are (header, share of the width) pairs."""

    short: str  # in the footer and on the continuation pages: "Table 12", the delegate's name
    title: str  # the large line: a name, or "Table" on a sign
    lines: tuple[Item, ...]  # under the title: Latin name, company, languages ...
    zone: str  # "Times: Astana time (Asia/Almaty, UTC+05:00)", named once on each page
    columns: tuple[tuple[str, float], ...]
    rows: list[Row]
    empty: str  # what an agenda without meetings says
    heading: str = ""  # the small line above the title: the forum, and what the page is
    big: str = ""  # a table sign's number, set very large beside the title
    qr_url: str = ""
    qr_caption: str = ""
    continued: str = "%(name)s (continued)"


# --- text ---------------------------------------------------------------------------------------------

def _item_block(item: Item, x: float, width: float, top: float, *, max_lines: int = 2,
                align: str = "left") -> Block:
    size, bold, colour = STYLES[item.style]
    lines, fitted = fit(render.printable(item.text), width=width, max_size=size, max_lines=max_lines,
                        one_line_below=0.85, bold=bold)
    return Block("cell", lines, fitted, x, width, top, align=align, bold=bold, colour=colour)


def _draw(c: Canvas, b: Block) -> None:
    # The badge renderer's own text drawing: the same baseline, and bold as the fill plus a thin outline. Its
    # render mode and line width are graphics state that would outlive the block: kept inside q ... Q.
    c.saveState()
    render._text(c, b)
    c.restoreState()


def _line(c: Canvas, text: str, size: float, x: float, top: float, width: float, *, bold: bool = False,
          colour: str = "#111111", max_lines: int = 2, align: str = "left", one_line_below: float = 0.72) -> float:
    """Fits and draws one text; returns the top of what follows."""
    lines, fitted = fit(render.printable(text), width=width, max_size=size, max_lines=max_lines, bold=bold,
                        one_line_below=one_line_below)
    b = Block("line", lines, fitted, x, width, top, align=align, bold=bold, colour=colour)
    _draw(c, b)
    return top - b.height


def _cell_blocks(cell: Cell, x: float, width: float, top: float) -> list[Block]:
    blocks, y = [], top - PAD
    for item in cell:
        if not item.text:
            continue
        b = _item_block(item, x + PAD, width - 2 * PAD, y)
        blocks.append(b)
        y -= b.height
    return blocks


def _row_blocks(section: Section, row: Row, top: float) -> tuple[list[Block], float]:
    """The row's texts placed from `top`, and the row's height."""
    blocks, x, height = [], MARGIN, 0.0
    for (_header, share), cell in zip(section.columns, row.cells):
        width = INNER * share
        cb = _cell_blocks(cell, x, width, top)
        blocks += cb
        height = max(height, sum(b.height for b in cb) + 2 * PAD)
        x += width
    return blocks, height


# --- pages --------------------------------------------------------------------------------------------

class _Pages:
    """One section at a time on a shared canvas: the header, the column heads, rows that move to a new page
    (with a short header) when they no longer fit, and the footer of each page."""

    def __init__(self, c: Canvas, page_label: str, footer: str) -> None:
        self.c = c
        self.page_label = page_label
        self.footer = footer
        self.started = False
        self.y = 0.0

    def _new_page(self) -> None:
        if self.started:
            self.c.showPage()
        self.started = True
        self.y = PAGE[1] - MARGIN

    def _foot(self, section: Section) -> None:
        c = self.c
        c.saveState()
        c.setStrokeColor(RULE)
        c.setLineWidth(0.4)
        c.line(MARGIN, BOTTOM - 3 * mm, PAGE[0] - MARGIN, BOTTOM - 3 * mm)
        c.restoreState()
        number = self.page_label % {"num": c.getPageNumber()}
        right = render.width_of(number, 8) + 2 * mm
        _line(c, f"{self.footer} · {section.short}" if self.footer else section.short, 8, MARGIN, BOTTOM - 4 * mm,
              INNER - right, colour="#4a4a4a", max_lines=1)
        _line(c, number, 8, PAGE[0] - MARGIN - right, BOTTOM - 4 * mm, right, colour="#4a4a4a", max_lines=1,
              align="right")

    def _first_header(self, s: Section) -> None:
        c, top = self.c, self.y
        text_width = INNER
        if s.qr_url:
            text_width = INNER - QR_WIDTH - 6 * mm
            self._qr(s, PAGE[0] - MARGIN - QR_WIDTH, top)
        if s.heading:
            top = _line(c, s.heading, 10, MARGIN, top, text_width, colour="#333333")
            top -= 1.5 * mm
        top = _line(c, s.title, 28 if s.big else 20, MARGIN, top, text_width, bold=True, max_lines=3)
        if s.big:
            # The table's number, as large as the room beside the code allows: read from across the hall.
            lines, size = fit(s.big, width=text_width, max_size=110, max_lines=1, bold=True)
            b = Block("big", lines, size, MARGIN, text_width, top, align="left", bold=True)
            _draw(c, b)
            top -= b.height
        for item in s.lines:
            if item.text:
                size, bold, colour = STYLES[item.style]
                top = _line(c, item.text, size + 2, MARGIN, top, text_width, bold=bold, colour=colour)
        top -= 1 * mm
        top = _line(c, s.zone, 9.5, MARGIN, top, text_width, colour="#333333")
        if s.qr_url:
            top = min(top, self.y - QR_WIDTH - 14 * mm)
        self.y = top - 4 * mm

    def _qr(self, s: Section, x: float, top: float) -> None:
        c = self.c
        matrix = qr.matrix(s.qr_url)
        module = QR_WIDTH / len(matrix)
        c.saveState()
        c.setFillColor(HexColor("#000000"))
        c.transform(module, 0, 0, -module, x, top)  # module units, y downwards from the top left corner
        c.addLiteral(" ".join(f"{rx} {ry} {rw} {rh} re" for rx, ry, rw, rh in qr.rectangles(matrix)) + " f")
        c.restoreState()
        if s.qr_caption:
            _line(c, s.qr_caption, 10, x - 3 * mm, top - QR_WIDTH - 2 * mm, QR_WIDTH + 6 * mm, colour="#333333",
                  max_lines=3, align="center", one_line_below=0.95)

    def _continued_header(self, s: Section) -> None:
        top = _line(self.c, s.continued % {"name": s.short}, 11, MARGIN, self.y, INNER, bold=True)
        top = _line(self.c, s.zone, 9, MARGIN, top, INNER, colour="#333333")
        self.y = top - 3 * mm

    def _column_heads(self, s: Section) -> None:
        c, x = self.c, MARGIN
        height = 8.5 * LEADING + 2 * PAD
        c.saveState()
        c.setFillColor(SHADE)
        c.rect(MARGIN, self.y - height, INNER, height, stroke=0, fill=1)
        c.restoreState()
        for header, share in s.columns:
            width = INNER * share
            _line(c, header, 8.5, x + PAD, self.y - PAD, width - 2 * PAD, colour="#333333", max_lines=1)
            x += width
        self.y -= height

    def _day(self, s: Section, day: str) -> None:
        self.y -= 2 * mm
        self.y = _line(self.c, day, 10.5, MARGIN, self.y, INNER, bold=True) - 1 * mm

    def section(self, s: Section) -> None:
        self._new_page()
        self._first_header(s)
        if not s.rows:
            _line(self.c, s.empty, 12, MARGIN, self.y, INNER, max_lines=3)
            self._foot(s)
            return
        self._column_heads(s)
        day = None
        day_height = 10.5 * LEADING + 3 * mm
        for row in s.rows:
            blocks, height = _row_blocks(s, row, self.y)
            need = height + (day_height if row.day != day else 0)
            if self.y - need < BOTTOM:
                self._foot(s)
                self._new_page()
                self._continued_header(s)
                self._column_heads(s)
                day = None  # the day again at the top of the new page
            if row.day != day:
                self._day(s, row.day)
                day = row.day
            blocks, height = _row_blocks(s, row, self.y)
            for b in blocks:
                _draw(self.c, b)
            self.y -= height
            self.c.saveState()
            self.c.setStrokeColor(RULE)
            self.c.setLineWidth(0.4)
            self.c.line(MARGIN, self.y, PAGE[0] - MARGIN, self.y)
            self.c.restoreState()
        self._foot(s)


def write(sections: Iterable[Section], out: BinaryIO, *, title: str, page_label: str = "%(num)d",
          footer: str = "") -> int:
    """Draw the sections, each from a new page, into `out` as one PDF. Returns the number of pages."""
    render.font()
    c = Canvas(out, pagesize=PAGE, pageCompression=1, initialFontName=FONT, initialFontSize=10)
    c.setTitle(render.clean(title))
    c.setCreator("forum")
    pages = _Pages(c, page_label, render.clean(footer))
    for s in sections:
        pages.section(s)
    c.showPage()  # the last page (or, with no section at all, one blank page: still a valid file)
    n = c.getPageNumber() - 1
    c.save()
    return n
