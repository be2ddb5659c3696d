"""The QR code of a badge: the `qrcode` package's matrix, fast, and drawn as few rectangles. Pure: no Flask.

`matrix(url)` is exactly what `qrcode` makes (error correction M, the URL split into optimal segments with
`optimize=20` as forum/badges/tokens.py explains, and the mask pattern with the lowest penalty), but about
four times faster: qrcode chooses the mask by building the whole symbol eight times and scoring each in
pure Python loops, which costs ~7 ms per badge, 35 s for 5,000 badges. Here the data bits are laid out
once, each of the eight masks is applied to rows held as integers, and the same four ISO 18004 penalty
rules are scored with bit operations and regular expressions (tests/badges/test_qr.py checks that the
chosen mask and the matrix are qrcode's own for many tokens).

`rectangles(m)` merges the dark modules into horizontal runs, and runs of equal extent on consecutive rows
into one rectangle: a badge's QR is ~400 rectangles instead of ~1,000 modules, which keeps the PDF small.
"""
from __future__ import annotations

import re
from functools import lru_cache

import qrcode
from markupsafe import escape
from qrcode import util
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the symbol, as the standard requires
OPTIMIZE = 20  # qrcode's `optimize`: segments of at least 20 characters get their own (alphanumeric) mode

Matrix = list[list[bool]]

_RUN = re.compile(r"0{5,}|1{5,}")
_CORE = "1011101"


def _bits(cells) -> int:
    return int("".join(["01"[bool(c)] for c in cells]), 2)


class _Frame:
    """What every symbol of one version shares: the function patterns as qrcode's mask test sees them
    (format and version areas light) by rows and by columns, which cells carry data, the order in which
    the data bits fill them (qrcode's map_data), and the eight masks by rows and by columns."""

    def __init__(self, version: int) -> None:
        n = self.n = version * 4 + 17
        q = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M)
        q.modules_count = n
        q.modules = [[None] * n for _ in range(n)]
        q.setup_position_probe_pattern(0, 0)
        q.setup_position_probe_pattern(n - 7, 0)
        q.setup_position_probe_pattern(0, n - 7)
        q.setup_position_adjust_pattern()
        q.setup_timing_pattern()
        q.setup_type_info(True, 0)
        if version >= 7:
            q.setup_type_number(True)
        grid = q.modules
        columns = list(zip(*grid))
        self.fixed_rows = [_bits(row) for row in grid]
        self.fixed_cols = [_bits(col) for col in columns]
        self.data_rows = [_bits(c is None for c in row) for row in grid]
        self.data_cols = [_bits(c is None for c in col) for col in columns]
        self.masks_rows, self.masks_cols = [], []
        for pattern in range(8):
            f = util.mask_func(pattern)
            cells = [[f(i, j) for j in range(n)] for i in range(n)]
            self.masks_rows.append([_bits(row) for row in cells])
            self.masks_cols.append([_bits(col) for col in zip(*cells)])
        # The data cells in the order map_data fills them: up and down two-column strips from the right.
        order, row, step = [], n - 1, -1
        for col in range(n - 1, 0, -2):
            if col <= 6:
                col -= 1  # the vertical timing pattern's column is skipped
            while 0 <= row < n:
                order.extend(row * n + c for c in (col, col - 1) if grid[row][c] is None)
                row += step
            row -= step
            step = -step
        self.order = order


@lru_cache(maxsize=None)
def _frame(version: int) -> _Frame:
    return _Frame(version)


def _penalty(rows: list[int], cols: list[int], n: int) -> int:
    """qrcode.util.lost_point, the four ISO 18004 rules, for a symbol given as row and column bit masks."""
    width = f"0{n}b"
    # All rows and columns in one string, separated so that no run or pattern spans two of them.
    lines = "2".join([format(x, width) for x in rows] + [format(x, width) for x in cols])
    runs = _RUN.findall(lines)  # rule 1: runs of five or more of one colour: length - 2 each
    points = sum(map(len, runs)) - 2 * len(runs)
    full, pairs = (1 << n) - 1, (1 << (n - 1)) - 1
    blocks = 0
    for a, b in zip(rows, rows[1:]):  # rule 2: 2x2 blocks of one colour
        same_vertically = ~(a ^ b) & full
        blocks += (same_vertically & (same_vertically >> 1) & ~(a ^ (a >> 1)) & pairs).bit_count()
    points += 3 * blocks
    # Rule 3: 1:1:3:1:1 (dark light dark light dark), like a finder pattern, with four light modules before
    # or after it: each side counts. Cheaper than a regular expression: the core is rare.
    at = lines.find(_CORE)
    while at != -1:
        points += 40 * ((at >= 4 and lines[at - 4:at] == "0000") + (lines[at + 7:at + 11] == "0000"))
        at = lines.find(_CORE, at + 1)
    dark = sum(x.bit_count() for x in rows)  # rule 4: balance of dark and light
    percent = float(dark) / (n ** 2)
    return points + int(abs(percent * 100 - 50) / 5) * 10


def matrix(url: str) -> Matrix:
    """The QR symbol for `url` without its quiet zone: rows of modules, True for dark. Exactly qrcode's
    (version, segments, error correction, mask pattern), made without building it eight times."""
    q = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    q.add_data(url, optimize=OPTIMIZE)
    q.best_fit()
    fr = _frame(q.version)
    n = fr.n
    data = util.create_data(q.version, q.error_correction, q.data_list)
    bits = "".join([format(b, "08b") for b in data])
    cells = ["0"] * (n * n)
    for index, bit in zip(fr.order, bits):  # cells past the data stay light, as in map_data
        cells[index] = bit
    raw_rows = [int("".join(cells[i * n:(i + 1) * n]), 2) for i in range(n)]
    raw_cols = [int("".join(cells[j::n]), 2) for j in range(n)]
    best, lowest, best_rows = 0, None, None
    for pattern in range(8):
        rows = [f | ((r ^ m) & d) for f, r, m, d in zip(fr.fixed_rows, raw_rows, fr.masks_rows[pattern], fr.data_rows)]
        cols = [f | ((c ^ m) & d) for f, c, m, d in zip(fr.fixed_cols, raw_cols, fr.masks_cols[pattern], fr.data_cols)]
        points = _penalty(rows, cols, n)
        if lowest is None or points < lowest:  # the first of equals, as qrcode does
            best, lowest, best_rows = pattern, points, rows
    width = f"0{n}b"
    q.modules_count = n
    q.modules = [[c == "1" for c in format(row, width)] for row in best_rows]
    q.setup_type_info(False, best)  # the real format (and version) information, and the dark module
    if q.version >= 7:
        q.setup_type_number(False)
    return q.modules


def rectangles(m: Matrix) -> list[tuple[int, int, int, int]]:
    """The dark modules as (x, y, width, height) rectangles in module units, y downwards: each row's runs,
    a run continued by the same run on the rows below becoming one taller rectangle."""
    done: list[tuple[int, int, int, int]] = []
    open_: dict[tuple[int, int], tuple[int, int]] = {}  # (x, width) -> (y of its top, height)
    for y, row in enumerate(m):
        runs = []
        x, n = 0, len(row)
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                runs.append((start, x - start))
            else:
                x += 1
        current = {}
        for run in runs:
            top, height = open_.pop(run, (y, 0))
            current[run] = (top, height + 1)
        done.extend((rx, top, rw, h) for (rx, rw), (top, h) in open_.items())
        open_ = current
    done.extend((rx, top, rw, h) for (rx, rw), (top, h) in open_.items())
    return done


def svg(url: str, *, label: str = "") -> str:
    """The QR code as an SVG document (with its quiet zone), for the e-badge page: no style attribute, so the
    page's Content-Security-Policy has nothing to refuse."""
    m = matrix(url)
    size = len(m) + 2 * QUIET_ZONE
    path = "".join(f"M{x + QUIET_ZONE} {y + QUIET_ZONE}h{w}v{h}h-{w}z" for x, y, w, h in rectangles(m))
    title = f"<title>{escape(label)}</title>" if label else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
            f'shape-rendering="crispEdges" class="qr">{title}<rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path d="{path}" fill="#000"/></svg>')
