"""The server-drawn SVG bar chart (forum/checkin/chart.py): pure, no app needed."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from forum.checkin.chart import PLOT_HEIGHT, Bar, bar_chart, nice_step

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def rects(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{SVG}rect")


def test_bars_are_proportional_to_their_values_and_carry_their_tooltips():
    bars = [Bar("09:00", 2), Bar("09:15", 8), Bar("09:30", 0), Bar("09:45", 4)]
    root = parse(bar_chart(bars, title="Arrivals per 15 minutes", description="14 arrivals",
                           x_label="Time", y_label="Arrivals"))
    drawn = rects(root)
    assert [r.get("data-value") for r in drawn] == ["2", "8", "4"]  # an empty quarter draws no bar
    heights = [float(r.get("height")) for r in drawn]
    assert heights[1] == pytest.approx(4 * heights[0]) and heights[2] == pytest.approx(2 * heights[0])
    assert max(heights) <= PLOT_HEIGHT
    # left to right in order, the same width, all standing on one baseline
    xs = [float(r.get("x")) for r in drawn]
    assert xs == sorted(xs) and len({r.get("width") for r in drawn}) == 1
    assert len({float(r.get("y")) + float(r.get("height")) for r in drawn}) == 1
    assert [r.find(f"{SVG}title").text for r in drawn] == ["09:00: 2", "09:15: 8", "09:45: 4"]


def test_it_is_labelled_for_screen_readers_and_has_axis_labels():
    svg = bar_chart([Bar("09:00", 3)], title="Arrivals", description="3 in all", x_label="Time (Astana)",
                    y_label="Arrivals", id_prefix="c1")
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Arrivals" and root.find(f"{SVG}title").get("id") == "c1-title"
    assert root.find(f"{SVG}desc").text == "3 in all"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Time (Astana)" in texts and "Arrivals" in texts and "09:00" in texts
    rotated = [t for t in root.iter(f"{SVG}text") if t.text == "Arrivals"]
    assert rotated[0].get("transform", "").startswith("rotate(-90")


def test_no_style_attribute_or_element_so_the_csp_allows_it():
    svg = bar_chart([Bar("a", 1), Bar("b", 5)], title="t", x_label="x", y_label="y", empty_text="none")
    assert "style" not in svg and "<script" not in svg and "on" + "load" not in svg
    assert re.search(r'<rect [^>]*fill="#[0-9a-f]{6}"', svg)  # a presentation attribute, which CSP allows


def test_empty_data_gives_axes_and_the_empty_text():
    root = parse(bar_chart([], title="Arrivals", empty_text="Nobody has arrived yet."))
    assert rects(root) == []
    assert "Nobody has arrived yet." in [t.text for t in root.iter(f"{SVG}text")]
    assert [t.text for t in root.iter(f"{SVG}text") if "chart-tick" in t.get("class")] == ["0", "1"]


def test_one_bucket_fills_the_plot_height_on_a_scale_from_zero():
    root = parse(bar_chart([Bar("09:00", 7)], title="t"))
    (bar,) = rects(root)
    ticks = [int(t.text) for t in root.iter(f"{SVG}text") if "chart-tick" in t.get("class")]
    assert ticks[0] == 0 and ticks[-1] >= 7 and ticks == sorted(ticks)
    assert float(bar.get("height")) == pytest.approx(PLOT_HEIGHT * 7 / ticks[-1])
    assert float(bar.get("width")) > 0


def _x_labels(root) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text") if "chart-x" in t.get("class")]


def test_every_bar_is_labelled_when_there_is_room():
    bars = [Bar(f"09:{m:02d}", 1, major=(m == 0)) for m in (0, 15, 30, 45)]
    assert _x_labels(parse(bar_chart(bars, title="t"))) == ["09:00", "09:15", "09:30", "09:45"]


def test_only_major_bars_are_labelled_when_the_bars_are_narrow():
    bars = [Bar(f"{h:02d}:{m:02d}", 1, major=(m == 0)) for h in range(8, 18) for m in (0, 15, 30, 45)]
    assert _x_labels(parse(bar_chart(bars, title="t"))) == [f"{h:02d}:00" for h in range(8, 18)]
    # the same four bars drawn for a phone are too narrow for all their labels
    few = [Bar(f"09:{m:02d}", 1, major=(m == 0)) for m in (0, 15, 30, 45)] * 3
    assert len(_x_labels(parse(bar_chart(few, title="t", target_width=360)))) == 3


def test_a_narrow_target_makes_a_narrower_chart():
    bars = [Bar(str(i), i) for i in range(10)]
    wide, narrow = (float(parse(bar_chart(bars, title="t", target_width=w)).get("width")) for w in (960, 360))
    assert narrow <= 360 < wide


def test_text_is_escaped():
    svg = bar_chart([Bar("<b>&", 1, tooltip="</title><script>x</script>")], title="A & B <c>",
                    x_label='"quoted"', y_label="<y>", description="d & e")
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "A & B <c>"
    assert "<script>" not in svg and "<b>" not in svg
    assert rects(root)[0].find(f"{SVG}title").text == "</title><script>x</script>"


def test_many_bars_make_a_wider_chart_than_few_and_never_overlap():
    few = parse(bar_chart([Bar(str(i), i) for i in range(4)], title="t"))
    many = parse(bar_chart([Bar(str(i), i % 7) for i in range(96)], title="t"))
    assert float(many.get("width")) > float(few.get("width"))
    drawn = rects(many)
    for left, right in zip(drawn, drawn[1:]):
        assert float(left.get("x")) + float(left.get("width")) < float(right.get("x"))


@pytest.mark.parametrize("top,step", [(1, 1), (4, 1), (5, 2), (8, 2), (10, 5), (19, 5), (20, 5), (21, 10),
                                      (42, 20), (100, 50), (101, 50), (250, 100), (4999, 2000)])
def test_round_steps(top, step):
    assert nice_step(top) == step
    assert top / step <= 5
