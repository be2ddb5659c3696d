"""A bar chart drawn as SVG on the server. Pure: plain data in, an SVG string out; no Flask, no database.

Made for the check-in dashboard's arrivals per quarter hour, and allowed by the Content-Security-Policy:
no style="..." attribute and no <style> element, only SVG presentation attributes (fill=, stroke=),
which the page's stylesheet may override through the classes. Accessible: role="img" with a <title>
and a <desc>, a <title> on every bar (the browser's tooltip), labelled axes. The page shows the same
numbers in a table too, which is what a screen reader should read for the details.

Every text passed in is escaped here, so the result may be inserted into a page as it is.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# Geometry, in SVG user units (CSS pixels at 100%).
PLOT_HEIGHT = 180
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 54  # room for the y axis's numbers and label, the x axis's labels
SLOT_MIN, SLOT_MAX = 14, 72  # the width per bar, bar plus gap
TARGET_WIDTH = 960  # a chart of few bars is widened to about this; one of many grows past it (the page scrolls it)
FONT_SIZE = 11
BAR_FILL = "#0a58ca"  # the navbar's blue: AA contrast against white
AXIS_STROKE = "#6c757d"
GRID_STROKE = "#dee2e6"
TEXT_FILL = "#212529"


@dataclass(frozen=True)
class Bar:
    label: str  # e.g. "09:15": under the bar (when there is room, see `major`), and in its tooltip
    value: int
    major: bool = True  # labelled even when the bars are too narrow for every label (e.g. the full hours)
    tooltip: str = ""  # the bar's <title>; default "<label>: <value>"


def _room_for(label: str) -> float:
    """About how wide a label is drawn (digits and colons of a system font are ~0.6 em), plus a gap."""
    return len(label) * FONT_SIZE * 0.62 + 6


def nice_step(top: int, ticks: int = 4) -> int:
    """A step of 1, 2 or 5 x 10^k so that about `ticks` steps cover 0..top."""
    if top <= ticks:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return int(m * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def _text(x: float, y: float, content: str, *, anchor: str = "middle", cls: str = "chart-text",
          extra: str = "") -> str:
    return (f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}" font-size="{FONT_SIZE}" fill="{TEXT_FILL}" '
            f'class="{cls}"{extra}>{escape(content)}</text>')


def bar_chart(bars: list[Bar], *, title: str, description: str = "", x_label: str = "", y_label: str = "",
              empty_text: str = "", id_prefix: str = "chart", target_width: int = TARGET_WIDTH) -> str:
    """An SVG bar chart of `bars`, left to right, with a y axis from 0 in round steps.

    `target_width`: few bars are widened to about this (a phone's chart is drawn narrower than a desktop's);
    many bars make it wider, never narrower than SLOT_MIN per bar. Every bar gets its label when the bars
    are wide enough for them; otherwise only the major ones do.
    """
    n = len(bars)
    slot = max(SLOT_MIN, min(SLOT_MAX, (target_width - LEFT - RIGHT) / n)) if n else SLOT_MAX
    label_all = all(_room_for(b.label) <= slot for b in bars)
    plot_width = max(slot * n, min(SLOT_MAX * 4, target_width - LEFT - RIGHT))
    width = LEFT + plot_width + RIGHT
    height = TOP + PLOT_HEIGHT + BOTTOM
    base = TOP + PLOT_HEIGHT  # the y of value 0
    top_value = max((b.value for b in bars), default=0)
    step = nice_step(max(top_value, 1))
    y_max = max(step * math.ceil(max(top_value, 1) / step), step)

    def y_of(value: float) -> float:
        return base - PLOT_HEIGHT * value / y_max

    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    labelled = title_id + (f" {desc_id}" if description else "")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width:g}" height="{height:g}" '
           f'viewBox="0 0 {width:g} {height:g}" aria-labelledby="{labelled}" font-family="system-ui, sans-serif">',
           f'<title id="{title_id}">{escape(title)}</title>']
    if description:
        out.append(f'<desc id="{desc_id}">{escape(description)}</desc>')

    # Horizontal grid lines with their values, then the axes.
    value = 0
    while value <= y_max:
        y = y_of(value)
        if value:
            out.append(f'<line x1="{LEFT}" y1="{y:g}" x2="{LEFT + plot_width:g}" y2="{y:g}" stroke="{GRID_STROKE}" '
                       f'class="chart-grid"/>')
        out.append(_text(LEFT - 6, y + FONT_SIZE / 3, str(value), anchor="end", cls="chart-text chart-tick"))
        value += step
    out.append(f'<line x1="{LEFT}" y1="{base:g}" x2="{LEFT + plot_width:g}" y2="{base:g}" stroke="{AXIS_STROKE}" '
               f'class="chart-axis"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base:g}" stroke="{AXIS_STROKE}" class="chart-axis"/>')

    gap = max(2.0, slot * 0.2)
    for i, bar in enumerate(bars):
        x = LEFT + i * slot + gap / 2
        if bar.value > 0:
            y = y_of(bar.value)
            tip = bar.tooltip or f"{bar.label}: {bar.value}"
            out.append(f'<rect x="{x:g}" y="{y:g}" width="{slot - gap:g}" height="{base - y:g}" fill="{BAR_FILL}" '
                       f'class="chart-bar" data-value="{bar.value}"><title>{escape(tip)}</title></rect>')
        if (label_all or bar.major) and bar.label:
            tx = LEFT + i * slot
            out.append(f'<line x1="{tx:g}" y1="{base:g}" x2="{tx:g}" y2="{base + 4:g}" stroke="{AXIS_STROKE}" '
                       f'class="chart-axis"/>')
            out.append(_text(tx, base + 16, bar.label, cls="chart-text chart-x"))

    if not bars and empty_text:
        out.append(_text(LEFT + plot_width / 2, TOP + PLOT_HEIGHT / 2, empty_text, cls="chart-text chart-empty"))
    if x_label:
        out.append(_text(LEFT + plot_width / 2, height - 8, x_label, cls="chart-text chart-axis-label"))
    if y_label:
        cx, cy = 12, TOP + PLOT_HEIGHT / 2
        out.append(_text(cx, cy, y_label, cls="chart-text chart-axis-label",
                         extra=f" transform={quoteattr(f'rotate(-90 {cx:g} {cy:g})')}"))
    out.append("</svg>")
    return "".join(out)
