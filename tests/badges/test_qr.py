"""The badge's QR matrix is exactly qrcode's (version, segments, error correction M, mask chosen by the
penalty rules), only made faster; its rectangles cover exactly its dark modules; the e-badge's SVG too."""
import random
import re

import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from forum.badges import qr, tokens


def reference(url: str) -> list[list[bool]]:
    q = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    q.add_data(url, optimize=20)
    q.make(fit=True)
    return [[bool(c) for c in row] for row in q.modules]


def badge_urls(n: int, base: str = "https://forum.example.org") -> list[str]:
    pair = tokens.new_key_pair()
    return [f"{base}/b/{tokens.sign(pair, tokens.new_badge_id())}" for _ in range(n)]


def test_the_matrix_is_qrcodes_own_for_many_badge_urls():
    urls = badge_urls(150) + badge_urls(50, "http://10.0.0.5:8080") + badge_urls(20, "https://a-much-longer-host-name.example.org/forum")
    masks = set()
    for url in urls:
        m = qr.matrix(url)
        assert m == reference(url), url
        masks.add(m[8][2] + 2 * m[8][3] + 4 * m[8][4])  # format bits vary with the mask: many masks were chosen
    assert len(masks) > 3


@pytest.mark.parametrize("text", ["x", "HELLO WORLD 123", "https://a.b/" + "é" * 60, "1" * 500, "a" * 300])
def test_other_data_and_versions_too(text):
    assert qr.matrix(text) == reference(text)


def test_a_badge_url_stays_at_version_8_or_lower():
    for url in badge_urls(30, "https://forum.example.org"):
        assert len(qr.matrix(url)) <= 8 * 4 + 17


def test_rectangles_cover_exactly_the_dark_modules_and_merge_them():
    m = qr.matrix(badge_urls(1)[0])
    painted = [[0] * len(m) for _ in m]
    for x, y, w, h in qr.rectangles(m):
        for yy in range(y, y + h):
            for xx in range(x, x + w):
                painted[yy][xx] += 1
    assert painted == [[int(c) for c in row] for row in m]  # every dark module once, no light one
    dark = sum(map(sum, m))
    assert len(qr.rectangles(m)) < dark / 2


def test_random_matrices_round_trip_through_rectangles():
    rng = random.Random(7)
    for _ in range(20):
        m = [[rng.random() < 0.5 for _ in range(11)] for _ in range(9)]
        cover = {(xx, yy) for x, y, w, h in qr.rectangles(m) for yy in range(y, y + h) for xx in range(x, x + w)}
        assert cover == {(x, y) for y, row in enumerate(m) for x, c in enumerate(row) if c}


def test_svg_has_the_quiet_zone_no_style_attribute_and_an_escaped_label():
    url = badge_urls(1)[0]
    svg = qr.svg(url, label='<script>"x"</script>')
    n = len(qr.matrix(url)) + 2 * qr.QUIET_ZONE
    assert f'viewBox="0 0 {n} {n}"' in svg
    assert "style=" not in svg and "<script>" not in svg and "&lt;script&gt;" in svg
    # every rectangle starts inside the quiet zone's frame
    starts = [(int(a), int(b)) for a, b in re.findall(r"M(\d+) (\d+)", svg)]
    assert starts and all(qr.QUIET_ZONE <= x < n - qr.QUIET_ZONE and qr.QUIET_ZONE <= y < n - qr.QUIET_ZONE
                          for x, y in starts)
