"""The ceremony's run-sheet and the outcome report as PDF. Pure reportlab: plain data in (every label already
translated by forum.documents.ceremony / outcome), bytes out; no Flask, no database.

Text is set in the badges' VL PGothic (forum/badges/render.py), embedded in the file: Japanese, Kazakh
Cyrillic and Uzbek Latin (oʻ, U+02BB) print on any printer. Everything is a platypus Paragraph or Table, so long
titles and names wrap inside their column and flow onto the next page, never clipped; a paragraph with Japanese
(or Chinese) characters breaks between characters, as Japanese is set, and everything else between words.
"""
from __future__ import annotations

import io
from typing import Any, Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from forum.badges import render
from forum.badges.render import FONT

MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN
LINE = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#eeeeee")


def _font() -> None:
    render.font()
    # One face only: <b> and <i> in a paragraph set it too, rather than failing on a missing bold face.
    registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)


def _style(name: str, size: float, *, leading: float | None = None, space_after: float = 0, **kw) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=FONT, fontSize=size, leading=leading or size * 1.3,
                          spaceAfter=space_after, splitLongWords=1, **kw)


STYLES = {
    "title": _style("title", 17, space_after=2 * mm),
    "subtitle": _style("subtitle", 12, space_after=1 * mm),
    "meta": _style("meta", 10, textColor=colors.HexColor("#333333")),
    "h2": _style("h2", 13, space_after=1.5 * mm, spaceBefore=4 * mm),
    "item": _style("item", 12.5, space_after=1 * mm),
    "body": _style("body", 10),
    "small": _style("small", 9),
    "cell": _style("cell", 9.5),
    "head": _style("head", 9, textColor=colors.HexColor("#333333")),
    "num": _style("num", 9.5, alignment=TA_RIGHT),
}


def _cjk(text: str) -> bool:
    """Japanese or Chinese characters: such a line breaks between characters."""
    return any(0x3040 <= ord(c) <= 0x30FF or 0x3400 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF
               or 0xFF00 <= ord(c) <= 0xFFEF for c in text)


def para(text: Any, style: str = "body") -> Paragraph:
    """One paragraph of plain text (escaped; control characters dropped), wrapped in its column."""
    clean = render.clean(str(text if text is not None else ""))
    base = STYLES[style]
    if _cjk(clean):
        base = ParagraphStyle(base.name + "-cjk", parent=base, wordWrap="CJK")
    return Paragraph(escape(clean), base)


def _grid(rows: list[list], widths: Sequence[float], header: bool = True) -> Table:
    t = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0, hAlign="LEFT")
    style = [("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("GRID", (0, 0), (-1, -1), 0.4, LINE),
             ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    t.setStyle(TableStyle(style))
    return t


def _page_numbers(label: str, footer: str):
    """Draws "Page 3" (`label` holds %(num)d) and a footer line at the foot of every page."""

    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, render.clean(label % {"num": doc.page}))
        if footer:
            canvas.drawString(MARGIN, 9 * mm, render.clean(footer)[:120])
        canvas.restoreState()

    return draw


def _build(story: list, *, title: str, page_label: str, footer: str) -> bytes:
    _font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=render.clean(title), author="forum",
                            initialFontName=FONT, initialFontSize=10, pageCompression=1)
    numbers = _page_numbers(page_label, footer)
    doc.build(story, onFirstPage=numbers, onLaterPages=numbers)
    return out.getvalue()


# --- the run-sheet ----------------------------------------------------------------------------------------------

def run_sheet(*, forum_title: str, heading: str, place: str, when: str, items: Sequence[Any],
              words: dict[str, str]) -> bytes:
    """The master of ceremonies' run-sheet: per document in the order of exchange, its number, place in the
    order, title in each of the event's languages, type, and per party the organisation and country, the
    signatory as announced, who exchanges it on stage when someone else, and the side they stand on.

    `items`: ceremony.RunSheetItem-like objects. `words`: translated labels (keys: order, side, party,
    announced, exchanged_by, page, none, exchanged)."""
    _font()
    story: list = [para(forum_title, "title"), para(heading, "subtitle")]
    for line in (place, when):
        if line:
            story.append(para(line, "meta"))
    story.append(Spacer(1, 4 * mm))
    if not items:
        story.append(para(words["none"]))
    col = [18 * mm, 50 * mm, 62 * mm, WIDTH - 130 * mm]
    for item in items:
        block: list = [para(f"{item.position}. {item.reference} · {item.kind}"
                            + (f" · {words['exchanged']}" if item.exchanged else ""), "item")]
        for language, title in item.titles:
            block.append(para(f"{language}: {title}", "body"))
        rows = [[para(words["side"], "head"), para(words["party"], "head"), para(words["announced"], "head"),
                 para(words["exchanged_by"], "head")]]
        for p in item.parties:
            rows.append([para(p.side_label, "cell"), para(f"{p.organisation} ({p.country})", "cell"),
                         para(p.announcement, "cell"), para(p.exchanged_by or "—", "cell")])
        block += [Spacer(1, 1.5 * mm), _grid(rows, col), Spacer(1, 6 * mm)]
        # A card stays on one page when it fits on one; a huge one still flows on (KeepTogether splits then).
        story.append(KeepTogether(block))
    return _build(story, title=f"{forum_title} · {heading}", page_label=words["page"], footer=forum_title)


# --- the outcome report -------------------------------------------------------------------------------------------

def _count_table(rows: Sequence[tuple[str, int]], label: str, count: str) -> Table:
    data = [[para(label, "head"), para(count, "head")]]
    data += [[para(name, "cell"), para(str(n), "num")] for name, n in rows]
    return _grid(data, [WIDTH - 30 * mm, 30 * mm])


def outcome_report(report: Any) -> bytes:
    """The outcome report (outcome.Report-like): the tally's sentence, the tables by type, country pair and
    sector, the public documents with parties and signatories, the counting rules and the report's date."""
    _font()
    w = report.words
    story: list = [para(report.forum_title, "title"), para(report.heading, "subtitle"), para(report.dated, "meta"),
                   Spacer(1, 4 * mm), para(report.tally, "item")]
    for key, label, rows in (("by_kind", w["type"], report.by_kind), ("by_pair", w["pair"], report.by_pair),
                             ("by_sector", w["sector"], report.by_sector)):
        if rows:
            story += [para(w[key], "h2"), _count_table(rows, label, w["count"])]
    story.append(para(w["documents"], "h2"))
    if not report.documents:
        story.append(para(w["none"]))
    for d in report.documents:
        block: list = [para(f"{d.reference} · {d.kind} · {w['signed_on']} {d.signed_on}", "item")]
        for language, title in d.titles:
            block.append(para(f"{language}: {title}", "body"))
        if d.value:
            block.append(para(f"{w['value']}: {d.value}", "body"))
        rows = [[para(w["parties"], "head"), para(w["signatory"], "head")]]
        rows += [[para(f"{p.organisation} ({p.country})", "cell"), para(p.signatory, "cell")] for p in d.parties]
        block += [Spacer(1, 1 * mm), _grid(rows, [WIDTH * 0.5, WIDTH * 0.5]), Spacer(1, 4 * mm)]
        story.append(KeepTogether(block))
    story.append(para(w["rules"], "h2"))
    story += [para(f"• {rule}", "small") for rule in report.rules]
    return _build(story, title=f"{report.forum_title} · {report.heading}", page_label=w["page"],
                  footer=f"{report.forum_title} · {report.dated}")
