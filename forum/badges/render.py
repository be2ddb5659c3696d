"""Badge PDFs with reportlab: A6 portrait one badge per page, or four A6 badges on an A4 sheet with cut
marks. Pure: no Flask, no database. The caller hands plain `BadgeContent` (every label already translated)
and a file-like object; the pages are drawn one by one from the caller's iterator, so a batch of 5,000
never sits in memory as objects (reportlab keeps each finished page's drawing operators until it writes
the file: a few kilobytes a page; see bench/badges.py for the figures).

Text is set in VL PGothic, shipped in forum/badges/fonts/ and embedded (subset) in every PDF: one TrueType
font with Japanese, Cyrillic with the Kazakh, Kyrgyz and Tajik letters, Uzbek oʻ gʻ (U+02BB), Turkmen and
the rest of Latin. What it lacks (simplified Chinese, Hangul, Arabic ...) is never printed as an empty box:
a native name the font cannot draw is replaced by the Latin name (`printable`).

Long texts shrink to fit their box, then wrap (up to two or three lines), measured with the font's own
widths: never cut, never wider than the box. `plan()` makes every such decision and returns it, so the
tests can hold each line against its box; `render()` only draws plans.
"""
from __future__ import annotations

import itertools
import threading
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Iterable

from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from forum.badges import qr

FONT = "VLPGothic"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "VL-PGothic-Regular.ttf"
LAYOUTS = ("a6", "a4")

# The category bands: (band colour, text colour). Distinct hues, each with a contrast of 4.5:1 or more
# between band and label (WCAG AA; tests/badges/test_render.py computes it).
BANDS = {
    "delegate": ("#1f4e9c", "#ffffff"),  # blue
    "speaker": ("#b3261e", "#ffffff"),  # red
    "press": ("#f2c230", "#000000"),  # yellow
    "vip": ("#5b2a86", "#ffffff"),  # purple
    "organizer": ("#1b6e3a", "#ffffff"),  # green
    "staff": ("#ef7d1a", "#000000"),  # orange
}
INK = HexColor("#111111")
GREY = HexColor("#4a4a4a")

QR_WIDTH = 32 * mm  # the symbol itself, quiet zone not included: at least 30 mm reads from arm's length
MARGIN = 7 * mm  # left and right
TOP = 8 * mm  # the slot of a badge holder
BAND = 16 * mm
# The band keeps this far from the badge's edges: printers leave their outer millimetres blank, and the cut
# marks of an A4 sheet stay on white paper.
BAND_INSET = 4 * mm
NAME_SIZE = 36  # points: the native name's size when it fits on one line
LEADING = 1.18  # line height / font size
ONE_LINE_BELOW = 0.72  # a name set on one line smaller than this share of its largest size tries two lines
CUT_MARK = 6 * mm
CUT_MARK_FROM_EDGE = 5 * mm  # printers leave the outer few millimetres blank

# Page streams compressed, not also ASCII85-encoded: the encoding is pure Python without reportlab's C
# accelerator (a third of the time of a large batch) and only makes the file larger.
rl_config.useA85 = 0

_lock = threading.Lock()
_font: TTFont | None = None


def font() -> TTFont:
    """The badge font, registered with reportlab once per process."""
    global _font
    if _font is None:
        with _lock:
            if _font is None:
                f = TTFont(FONT, str(FONT_FILE))
                pdfmetrics.registerFont(f)
                _font = f
    return _font


def _ascent() -> float:
    return font().face.ascent / 1000


@lru_cache(maxsize=8192)
def _width(text: str) -> float:
    font()
    return pdfmetrics.stringWidth(text, FONT, 1.0)


def width_of(text: str, size: float = 1.0) -> float:
    """The advance width of `text` set in the badge font at `size` points (the title, the dates, the country
    and the labels recur on every badge: their widths are remembered)."""
    return _width(text) * size


def missing_glyphs(text: str) -> set[str]:
    """The characters of `text` (spaces aside) that the badge font cannot draw."""
    have = font().face.charToGlyph
    return {c for c in text if not c.isspace() and ord(c) not in have}


def clean(text: str | None) -> str:
    """One line of NFC text: line breaks and other white space become single spaces; control and format
    characters (zero-width joiners, bidi marks) go, since no font draws them."""
    text = unicodedata.normalize("NFC", text or "")
    out = []
    for c in text:
        if c.isspace():
            out.append(" ")
        elif unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(c)
    return " ".join("".join(out).split())


def printable(text: str, fallback: str = "", *, whole: bool = False) -> str:
    """`text` if the font draws all of it; else `fallback` (the Latin form) if it does; else, with
    `whole`, nothing (a position that would print half its words is better left out); else `text`
    without the characters it cannot draw. Never an empty box on a badge."""
    text = clean(text)
    if not missing_glyphs(text):
        return text
    fallback = clean(fallback)
    if fallback and not missing_glyphs(fallback):
        return fallback
    if whole:
        return ""
    gone = missing_glyphs(text)
    return " ".join("".join(c for c in text if c not in gone).split())


@dataclass(frozen=True)
class BadgeContent:
    """What one badge shows. Every text is final: translated and formatted by the caller."""

    forum_title: str
    dates: str  # e.g. "7–9 December 2026 · Astana"
    full_name: str  # as written natively
    latin_name: str
    position: str
    company: str  # as written natively
    company_latin: str
    country: str  # the country's name, in the badge's language
    category: str  # a key of BANDS
    category_label: str  # the band's label, translated
    qr_url: str  # <BASE_URL>/b/<token>


@dataclass(frozen=True)
class Block:
    """One text as placed on the badge: its lines, the size chosen, and the box they must fit."""

    role: str
    lines: tuple[str, ...]
    size: float  # points
    x: float  # the box's left edge, from the badge's left (points)
    width: float  # the box's width (points)
    top: float  # the top of the first line, from the badge's bottom (points)
    align: str = "center"  # or "left"
    bold: bool = False
    colour: str = "#111111"

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LEADING

    def widest(self) -> float:
        return max((width_of(line, self.size) for line in self.lines), default=0.0)


@dataclass(frozen=True)
class BadgePlan:
    width: float
    height: float
    blocks: tuple[Block, ...]
    band: tuple[str, str]  # (band colour, text colour)
    band_height: float  # the band's top edge, from the badge's bottom
    qr_matrix: list[list[bool]]
    qr_x: float  # the symbol's left edge (quiet zone outside it)
    qr_y: float  # the symbol's bottom edge
    qr_module: float  # one module's side, in points
    rule_y: float  # the thin line in the band's colour under the forum's title

    @property
    def qr_width(self) -> float:
        return len(self.qr_matrix) * self.qr_module

    def block(self, role: str) -> Block | None:
        return next((b for b in self.blocks if b.role == role), None)


# --- fitting text ------------------------------------------------------------------------------

def _wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in ("W", "F")


@lru_cache(maxsize=4096)
def _units(text: str) -> tuple[tuple[str, bool], ...]:
    """The pieces a line may break between: words (a space before them), and inside a word after a
    hyphen and around each Chinese character or kana (Japanese breaks between any two of them)."""
    units: list[tuple[str, bool]] = []
    for word in text.split(" "):
        if not word:
            continue
        piece, first = "", True
        for i, c in enumerate(word):
            piece += c
            nxt = word[i + 1] if i + 1 < len(word) else ""
            if nxt and (c == "-" or _wide(c) or _wide(nxt)):
                units.append((piece, first))
                piece, first = "", False
        units.append((piece, first))
    return tuple(units)


def _join(units) -> str:
    return "".join(((" " if space and i else "") + text) for i, (text, space) in enumerate(units))


def _best_split(units: tuple[tuple[str, bool], ...], n: int) -> list[str]:
    """Split into `n` lines (or fewer, when there are fewer pieces) keeping the widest line narrowest."""
    k = len(units)
    if n <= 1 or k <= 1:
        return [_join(units)]
    n = min(n, k)
    space = width_of(" ")
    widths = [width_of(t) for t, _ in units]
    prefix = [0.0]
    for i, (w, (_, sp)) in enumerate(zip(widths, units)):
        prefix.append(prefix[-1] + w + (space if sp and i else 0))

    def line_width(i: int, j: int) -> float:  # units[i:j] on one line (the first one's space dropped)
        lead = space if (units[i][1] and i) else 0.0
        return prefix[j] - prefix[i] - lead

    # Dynamic programming over break points: best[j][m] = (widest, breaks) for units[:j] in m lines.
    inf = float("inf")
    best = [[(inf, ())] * (n + 1) for _ in range(k + 1)]
    best[0][0] = (0.0, ())
    for j in range(1, k + 1):
        for m in range(1, n + 1):
            for i in range(m - 1, j):
                prev, breaks = best[i][m - 1]
                if prev == inf:
                    continue
                w = max(prev, line_width(i, j))
                if w < best[j][m][0]:
                    best[j][m] = (w, breaks + (i,))
    _w, breaks = best[k][n]
    cuts = list(breaks[1:]) + [k]
    lines, start = [], 0
    for cut in cuts:
        lines.append(_join(units[start:cut]))
        start = cut
    return lines


def fit(text: str, *, width: float, max_size: float, max_lines: int = 2, max_height: float | None = None,
        one_line_below: float = ONE_LINE_BELOW, bold: bool = False) -> tuple[tuple[str, ...], float]:
    """(lines, size): the largest size up to `max_size` at which `text` fits `width` on one line, or, when
    that would be under `one_line_below` x max_size, on up to `max_lines` lines (the split that allows the
    largest size). Sizes are exact: every line's width at that size is at most `width`."""
    if not text:
        return (), max_size
    if bold:  # the outline reaches half its width beyond each side of the glyphs
        width -= BOLD_STROKE * max_size
    units = _units(text)
    choices = []
    for n in range(1, max_lines + 1):
        lines = _best_split(units, n)
        widest = max(width_of(line) for line in lines)
        size = min(max_size, width / widest if widest else max_size)
        if max_height is not None:
            size = min(size, max_height / (len(lines) * LEADING))
        choices.append((tuple(lines), size))
        if n == 1 and size >= one_line_below * max_size:
            break
        if len(lines) < n:  # no more places to break
            break
    lines, size = max(choices, key=lambda c: (round(c[1], 3), -len(c[0])))
    # Floating point: never let a line come out a hair wider than the box.
    while max(width_of(line, size) for line in lines) > width:
        size *= 0.999
    return lines, size


# --- planning one badge ------------------------------------------------------------------------

def _same(a: str, b: str) -> bool:
    return a.casefold().replace("ʻ", "'") == b.casefold().replace("ʻ", "'")


def plan(content: BadgeContent, width: float = A6[0], height: float = A6[1]) -> BadgePlan:
    """Where everything goes on a badge of this size (points; A6 by default)."""
    inner = width - 2 * MARGIN
    band, ink = BANDS.get(content.category, BANDS["delegate"])
    name = printable(content.full_name, content.latin_name)
    latin = printable(content.latin_name)
    company = printable(content.company, content.company_latin)
    company_latin = printable(content.company_latin)
    blocks: list[Block] = []

    # Top: the forum and its dates.
    top = height - TOP
    lines, size = fit(printable(content.forum_title), width=inner, max_size=11, max_lines=2, bold=True)
    blocks.append(Block("title", lines, size, MARGIN, inner, top, bold=True, colour="#222222"))
    top -= blocks[-1].height
    lines, size = fit(printable(content.dates), width=inner, max_size=8.5, max_lines=1)
    blocks.append(Block("dates", lines, size, MARGIN, inner, top, colour="#4a4a4a"))
    top -= blocks[-1].height + 2.5 * mm
    rule_y = top
    top -= 3 * mm

    # Bottom: the band, and above it the QR code on the right with the country beside it.
    matrix = qr.matrix(content.qr_url)
    module = QR_WIDTH / len(matrix)
    quiet = qr.QUIET_ZONE * module
    qr_x = width - MARGIN - QR_WIDTH + quiet / 2
    qr_y = BAND_INSET + BAND + quiet + 1 * mm
    qr_top = qr_y + QR_WIDTH + quiet  # the quiet zone's top edge
    column = qr_x - quiet - MARGIN - 2 * mm
    lines, size = fit(printable(content.country), width=column, max_size=15, max_lines=2, bold=True)
    country = Block("country", lines, size, MARGIN, column, 0, align="left", bold=True)
    country = replace(country, top=qr_y + QR_WIDTH / 2 + country.height / 2)

    # Between them the person, centred in the room left: name, Latin name, position, company.
    room = top - qr_top - 2 * mm
    flow = _flow(name, latin, printable(content.position, whole=True), company, company_latin, inner, room)
    used = sum(b.height for b in flow) + sum(_GAPS.get(b.role, 0) for b in flow)
    y = top - max(0.0, (room - used) / 2)
    for b in flow:
        y -= _GAPS.get(b.role, 0)
        blocks.append(replace(b, top=y))
        y -= b.height
    blocks.append(country)

    lines, size = fit(printable(content.category_label).upper(), width=inner - 2 * mm, max_size=26, max_lines=1,
                      bold=True)
    blocks.append(Block("band", lines, size, MARGIN, inner, BAND_INSET + BAND / 2 + size * LEADING / 2, bold=True,
                        colour=ink))
    return BadgePlan(width, height, tuple(blocks), (band, ink), BAND_INSET + BAND, matrix, qr_x, qr_y, module,
                     rule_y)


# Space above each block of the flow (the first one's is ignored by centring anyway).
_GAPS = {"name": 0.0, "latin": 1.5 * mm, "position": 3 * mm, "company": 1.5 * mm, "company_latin": 0.5 * mm}


def _flow(name: str, latin: str, position: str, company: str, company_latin: str, inner: float,
          room: float) -> list[Block]:
    """The person's blocks at their largest sizes, all scaled down together until they fit the room."""
    scale = 1.0
    while True:
        parts = []
        lines, size = fit(name, width=inner, max_size=NAME_SIZE * scale, max_lines=3, max_height=30 * mm * scale,
                          bold=True)
        parts.append(Block("name", lines, size, MARGIN, inner, 0, bold=True))
        if latin and not _same(latin, name):
            lines, size = fit(latin, width=inner, max_size=15 * scale, max_lines=2)
            parts.append(Block("latin", lines, size, MARGIN, inner, 0, colour="#333333"))
        if position:
            lines, size = fit(position, width=inner, max_size=10.5 * scale, max_lines=2)
            parts.append(Block("position", lines, size, MARGIN, inner, 0, colour="#4a4a4a"))
        if company:
            lines, size = fit(company, width=inner, max_size=12.5 * scale, max_lines=2, bold=True)
            parts.append(Block("company", lines, size, MARGIN, inner, 0, bold=True))
        if company_latin and not _same(company_latin, company):
            lines, size = fit(company_latin, width=inner, max_size=9.5 * scale, max_lines=2)
            parts.append(Block("company_latin", lines, size, MARGIN, inner, 0, colour="#4a4a4a"))
        used = sum(b.height for b in parts) + sum(_GAPS[b.role] for b in parts[1:])
        if used <= room or scale < 0.2:
            return parts
        scale *= 0.9


# --- drawing -------------------------------------------------------------------------------------

BOLD_STROKE = 0.03  # the outline that makes the one weight of the font look bold, as a share of the size


def _text(c: Canvas, b: Block) -> None:
    if not b.lines:
        return
    colour = HexColor(b.colour)
    t = c.beginText()
    t.setTextRenderMode(2 if b.bold else 0)  # fill, then stroke the outline: bold from a regular weight
    t.setFillColor(colour)
    t.setStrokeColor(colour)
    t.setFont(FONT, b.size)
    ascent = _ascent()
    for i, line in enumerate(b.lines):
        baseline = b.top - ((LEADING - 1) / 2 + i * LEADING + ascent) * b.size
        x = b.x + (b.width - width_of(line, b.size)) / 2 if b.align == "center" else b.x
        t.setTextOrigin(x, baseline)
        t.textOut(line)
    if b.bold:
        c.setLineWidth(b.size * BOLD_STROKE)
    c.drawText(t)


def _qr(c: Canvas, p: BadgePlan) -> None:
    """The symbol as filled rectangles in a coordinate system of modules, y downwards: a few hundred
    short `re` operators instead of a thousand module squares."""
    c.saveState()
    c.setFillColor(HexColor("#000000"))
    c.transform(p.qr_module, 0, 0, -p.qr_module, p.qr_x, p.qr_y + p.qr_width)
    c.addLiteral(" ".join(f"{x} {y} {w} {h} re" for x, y, w, h in qr.rectangles(p.qr_matrix)) + " f")
    c.restoreState()


def draw(c: Canvas, p: BadgePlan, x: float = 0.0, y: float = 0.0) -> None:
    """One planned badge with its bottom left corner at (x, y) of the page."""
    c.saveState()
    c.translate(x, y)
    band, _ink = p.band
    c.setFillColor(HexColor(band))
    c.roundRect(BAND_INSET, BAND_INSET, p.width - 2 * BAND_INSET, BAND, 2 * mm, stroke=0, fill=1)
    c.setStrokeColor(HexColor(band))
    c.setLineWidth(0.7 * mm)
    c.line(MARGIN, p.rule_y, p.width - MARGIN, p.rule_y)
    for b in p.blocks:
        _text(c, b)
    _qr(c, p)
    c.restoreState()


def _cut_marks(c: Canvas, width: float, height: float) -> None:
    """Short lines on the two cuts that halve an A4 sheet each way, near the edges and where they cross.
    They lie on the cut, so the guillotine takes them away."""
    cx, cy = width / 2, height / 2
    e, m = CUT_MARK_FROM_EDGE, CUT_MARK
    c.saveState()
    c.setStrokeColor(HexColor("#000000"))
    c.setLineWidth(0.3)
    c.lines([
        (cx, e, cx, e + m), (cx, height - e - m, cx, height - e),  # the vertical cut, bottom and top
        (e, cy, e + m, cy), (width - e - m, cy, width - e, cy),  # the horizontal cut, left and right
        (cx - m / 2, cy, cx + m / 2, cy), (cx, cy - m / 2, cx, cy + m / 2),  # where they cross
    ])
    c.restoreState()


def render(badges: Iterable[BadgeContent], out: BinaryIO, *, layout: str = "a6", title: str = "Badges") -> int:
    """Write the badges to `out` as a PDF: "a6", one badge per A6 page, or "a4", four per A4 sheet with
    cut marks. Pages are drawn as the iterator yields. Returns how many badges were drawn."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    font()
    page = A6 if layout == "a6" else A4
    # The badge font from the first operator on: reportlab's default (Helvetica, never embedded) stays out.
    c = Canvas(out, pagesize=page, pageCompression=1, initialFontName=FONT, initialFontSize=10)
    c.setTitle(title)
    c.setCreator("forum")
    count = 0
    it = iter(badges)
    if layout == "a6":
        for content in it:
            draw(c, plan(content, *A6))
            c.showPage()
            count += 1
    else:
        w, h = A4[0] / 2, A4[1] / 2
        slots = [(0, h), (w, h), (0, 0), (w, 0)]  # reading order: top left, top right, bottom left, bottom right
        while True:
            sheet = list(itertools.islice(it, 4))
            if not sheet:
                break
            for content, (x, y) in zip(sheet, slots):
                draw(c, plan(content, w, h), x, y)
            _cut_marks(c, *A4)
            c.showPage()
            count += len(sheet)
    if count == 0:  # a PDF needs a page: say there is nothing rather than fail
        c.setFont(FONT, 12)
        c.drawCentredString(page[0] / 2, page[1] / 2, "—")
        c.showPage()
    c.save()
    return count
