"""Badge PDFs, read back: every QR decodes to its badge's URL and is at least 30 mm wide, the exact names
are in the text in Japanese, Kazakh and Uzbek, the one font is embedded, long names fit their box, A4
sheets carry four badges and cut marks, and pages are drawn as the iterator yields."""
import io
import random

import pytest
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm

from forum.badges import render, tokens
from forum.demo import names
from tests.badges import pdfcheck
from tests.badges.test_fonts import HARD_NAMES

PAIR = tokens.new_key_pair()
BASE = "https://forum.example.org"

PEOPLE = [  # (full name, Latin name, position, company, company in English, country, category)
    ("山田 太郎", "YAMADA Taro", "代表取締役社長", "株式会社青葉商事", "Aoba Trading Co., Ltd.", "Japan", "delegate"),
    ("Әлия Нұрланқызы", "Aliya Nurlankyzy", "Бас директор", "«Қазақстан экспорттаушылар қауымдастығы» ЗТБ",
     "Association of Exporters of Kazakhstan", "Kazakhstan", "speaker"),
    ("Gʻayrat Yoʻldoshev", "Gʻayrat Yoʻldoshev", "Direktor oʻrinbosari", "«Oʻzbek Toʻqimachilik» MChJ",
     "Uzbek Textile LLC", "Uzbekistan", "press"),
    ("Ҷамшед Ҳакимов", "Jamshed Hakimov", "Директори генералӣ", "ҶДММ «Помир Энергия»", "Pamir Energy LLC",
     "Tajikistan", "vip"),
    ("Şatlyk Çaryýew", "Şatlyk Çaryýew", "Baş direktor", "«Garagum Ulag» HJ", "Karakum Transport LLC",
     "Turkmenistan", "delegate"),
]
LABELS = {"delegate": "Delegate", "speaker": "Speaker", "press": "Press", "vip": "VIP", "organizer": "Organizer",
          "staff": "Staff"}


def content(full, latin, position="Director", company="Test LLP", company_latin="Test LLP", country="Kazakhstan",
            category="delegate", token=None):
    token = token or tokens.sign(PAIR, tokens.new_badge_id())
    return render.BadgeContent(
        forum_title="Central Asia + Japan Business Forum 2026", dates="7–9 December 2026 · Astana",
        full_name=full, latin_name=latin, position=position, company=company, company_latin=company_latin,
        country=country, category=category, category_label=LABELS[category], qr_url=f"{BASE}/b/{token}")


def pdf_of(contents, layout="a6") -> bytes:
    out = io.BytesIO()
    assert render.render(contents, out, layout=layout) == len(contents)
    return out.getvalue()


@pytest.fixture(scope="module")
def a6():
    contents = [content(*p) for p in PEOPLE]
    return contents, pdf_of(contents, "a6")


def test_a6_one_badge_per_page_with_the_exact_names_in_the_text(a6):
    contents, pdf = a6
    assert [tuple(round(x) for x in s) for s in pdfcheck.page_sizes_mm(pdf)] == [(105, 148)] * len(PEOPLE)
    for c, text in zip(contents, pdfcheck.texts(pdf)):
        lines = text.splitlines()
        assert c.full_name in lines  # exactly, as written: 山田 太郎, Әлия Нұрланқызы, Gʻayrat Yoʻldoshev (U+02BB)
        assert c.company in lines and c.country in lines and c.category_label.upper() in lines
        if c.latin_name != c.full_name:
            assert c.latin_name in lines
        else:
            assert lines.count(c.full_name) == 1  # the Latin name is not repeated when it is the same
    assert "Gʻayrat Yoʻldoshev" in pdfcheck.texts(pdf)[2]
    assert "\u02bb" in pdfcheck.texts(pdf)[2]


def test_every_qr_decodes_to_its_badge_url_verifies_and_is_at_least_30_mm(a6):
    contents, pdf = a6
    for c, image in zip(contents, pdfcheck.images(pdf)):
        (found,) = pdfcheck.qr_codes(image)
        assert found.text == c.qr_url
        assert tokens.verify(PAIR.public, found.text) == tokens.parse(c.qr_url).badge_id
        assert found.width_mm >= 30


def test_the_one_font_is_embedded_with_its_unicode_map(a6):
    _contents, pdf = a6
    fonts = pdfcheck.fonts(pdf)
    assert fonts and all(f["embedded"] and f["subtype"] == "/TrueType" and f["to_unicode"] for f in fonts)
    assert {f["name"].split("+", 1)[1] for f in fonts} == {"VL-PGothic-Regular"}


def test_a4_has_four_badges_per_sheet_and_cut_marks():
    contents = [content(*PEOPLE[i % len(PEOPLE)]) for i in range(6)]
    pdf = pdf_of(contents, "a4")
    assert [tuple(round(x) for x in s) for s in pdfcheck.page_sizes_mm(pdf)] == [(210, 297)] * 2
    pages = pdfcheck.images(pdf)
    first, second = (pdfcheck.qr_codes(p) for p in pages)
    assert sorted(f.text for f in first) == sorted(c.qr_url for c in contents[:4])
    assert sorted(f.text for f in second) == sorted(c.qr_url for c in contents[4:])
    assert all(f.width_mm >= 30 for f in first + second)
    # two per row, two rows: the codes sit in the four quarters of the sheet
    quarters = {(f.centre_mm[0] > 105, f.centre_mm[1] > 148.5) for f in first}
    assert len(quarters) == 4
    texts = pdfcheck.texts(pdf)
    assert all(c.full_name in texts[0] for c in contents[:4])
    # cut marks: dark on the vertical cut near the top edge (white margin of the badges) and a hair beside
    # it white; the same on the horizontal cut near the left edge
    img = pages[0].convert("L")
    px = pdfcheck.DPI / 25.4

    def ink(x_mm, y_mm):  # y from the top
        return img.getpixel((round(x_mm * px), round(y_mm * px))) < 128

    assert ink(105, 8) and not ink(107, 8) and not ink(103, 8)  # the vertical cut, top edge
    assert ink(105, 297 - 8) and not ink(107, 297 - 8)  # ... bottom edge, between the bands
    assert ink(8, 148.5) and not ink(8, 147) and not ink(8, 150)  # the horizontal cut, left edge
    assert ink(202, 148.5) and not ink(202, 147)  # ... right edge
    assert ink(105, 148.5 - 2) and ink(103, 148.5)  # where they cross
    a6 = pdf_of(contents[:1], "a6")
    assert not pdfcheck.images(a6)[0].convert("L").getpixel((round(52.5 * px), round(7 * px))) < 128  # no marks on A6


def test_pages_are_drawn_as_the_iterator_yields(monkeypatch):
    pulled, at_page_end = [], []
    real_show = render.Canvas.showPage

    def show(self):
        at_page_end.append(len(pulled))
        return real_show(self)

    monkeypatch.setattr(render.Canvas, "showPage", show)

    def contents(n):
        for i in range(n):
            pulled.append(i)
            yield content(*PEOPLE[i % len(PEOPLE)])

    render.render(contents(3), io.BytesIO(), layout="a6")
    assert at_page_end == [1, 2, 3]
    pulled.clear(), at_page_end.clear()
    render.render(contents(9), io.BytesIO(), layout="a4")
    assert at_page_end == [4, 8, 9]


def test_unknown_layout_is_refused():
    with pytest.raises(ValueError):
        render.render([], io.BytesIO(), layout="letter")


# --- fitting -------------------------------------------------------------------------------------

def longest_demo_names(n: int = 5) -> list[tuple[str, str]]:
    rng = random.Random(3)
    people = {(p.full_name, p.latin_name) for country in names.COUNTRIES for _ in range(400)
              for p in [names.person(country, rng)]}
    return sorted(people, key=lambda p: render.width_of(p[0]), reverse=True)[:n]


def check_plan(p: render.BadgePlan):
    """Every line within its box, every box within the badge, nothing over the QR code or the band."""
    quiet = 4 * p.qr_module
    qr_box = (p.qr_x - quiet, p.qr_y - quiet, p.qr_x + p.qr_width + quiet, p.qr_y + p.qr_width + quiet)
    for b in p.blocks:
        assert b.widest() <= b.width + 1e-6, (b.role, b.lines, b.size)
        assert 0 <= b.x and b.x + b.width <= p.width
        bottom = b.top - b.height
        assert bottom >= 0 and b.top <= p.height, (b.role, b.top, b.height)
        if b.role == "band":
            assert bottom >= render.BAND_INSET and b.top <= p.band_height + 1e-6
            continue
        assert bottom >= p.band_height - 1e-6, b.role
        overlaps_qr = b.x < qr_box[2] and b.x + b.width > qr_box[0] and bottom < qr_box[3] and b.top > qr_box[1]
        assert not overlaps_qr, b.role
    assert p.qr_width >= 30 * mm


def test_the_longest_demo_names_fit_their_box_whole():
    for full, latin in longest_demo_names():
        for size in (A6, (A4[0] / 2, A4[1] / 2)):
            p = render.plan(content(full, latin), *size)
            check_plan(p)
            name = p.block("name")
            assert " ".join(name.lines).replace("- ", "-") == full or "".join(name.lines) == full.replace(" ", "")
            assert name.size >= 20  # large, not shrunk to nothing


@pytest.mark.parametrize("full,latin", [
    ("Дінмұхамед Құдайбергенов-Иманғалиев Нұрсұлтанұлы", "Dinmukhamed Kudaibergenov-Imangaliyev Nursultanuly"),
    ("長谷川真理子左衛門三郎兵衛之助右衛門", "HASEGAWA Marikozaemon Saburobeenosukeemon"),
    ("A" * 200, "B" * 200),
    ("Maria " * 33, "Maria " * 33),
] + [(n, n) for n in HARD_NAMES])
def test_hard_names_never_overflow_and_are_never_cut(full, latin):
    c = content(full, latin, position="Head of International Relations and Business Development " * 3,
                company="«Қазақстан экспорттаушылар қауымдастығы» заңды тұлғалар бірлестігі " * 3,
                company_latin="Association of Exporters of Kazakhstan " * 3)
    p = render.plan(c)
    check_plan(p)
    shown = "".join(p.block("name").lines).replace(" ", "")
    assert shown == render.clean(full).replace(" ", "")


def test_a_name_wraps_to_two_lines_before_it_gets_small():
    lines, size = render.fit("Дінмұхамед Құдайбергенов", width=90 * mm, max_size=36)
    assert lines == ("Дінмұхамед", "Құдайбергенов") and size > 30
    lines, size = render.fit("山田 太郎", width=90 * mm, max_size=36)
    assert lines == ("山田 太郎",) and size == 36


def test_a_name_the_font_cannot_draw_prints_the_latin_name_and_a_half_position_is_left_out():
    p = render.plan(content("张伟", "Zhang Wei", position="总经理", company="北京张伟公司", company_latin="Beijing Zhang Wei Co."))
    assert p.block("name").lines == ("Zhang Wei",)
    assert p.block("latin") is None  # not twice
    assert p.block("position") is None
    assert p.block("company").lines == ("Beijing Zhang Wei Co.",)
    text = " ".join(line for b in p.blocks for line in b.lines)
    assert render.missing_glyphs(text) == set()


def test_line_breaks_and_invisible_characters_do_not_reach_the_badge():
    assert render.clean("Әлия\nНұрланқызы\u200b\u202e ") == "Әлия Нұрланқызы"


# --- colours -------------------------------------------------------------------------------------

def _luminance(hex_colour: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_every_category_has_its_own_band_colour_with_a_readable_label():
    assert set(render.BANDS) == {"delegate", "speaker", "press", "vip", "organizer", "staff"}
    assert len({band for band, _ink in render.BANDS.values()}) == len(render.BANDS)
    for band, ink in render.BANDS.values():
        light, dark = sorted((_luminance(band), _luminance(ink)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, band


def test_the_e_badge_page_uses_the_printed_colours():
    from pathlib import Path

    css = (Path(render.__file__).resolve().parents[1] / "static" / "css" / "badges.css").read_text()
    for category, (band, ink) in render.BANDS.items():
        assert f".band-{category} {{ background: {band}; color: {ink}; }}" in css
        assert f".ebadge-head.band-line-{category} {{ color: {band}; }}" in css


def test_each_category_prints_its_colour():
    for category in render.BANDS:
        pdf = pdf_of([content("山田 太郎", "YAMADA Taro", category=category)])
        img = pdfcheck.images(pdf, dpi=50)[0].convert("RGB")
        px = 50 / 25.4
        r, g, b = img.getpixel((round(8 * px), round((148 - 6) * px)))  # bottom left, inside the band
        want = render.BANDS[category][0]
        assert max(abs(r - int(want[1:3], 16)), abs(g - int(want[3:5], 16)), abs(b - int(want[5:7], 16))) < 12
