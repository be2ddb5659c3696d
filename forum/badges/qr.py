"""The QR code of a badge: the `qrcode` package's matrix, fast, and drawn as few rectangles. Pure: no Flask.

`matrix(url)` is exactly what `qrcode` makes (error correction M, the URL split into optimal segments with
`optimize=20` as forum/badges/tokens.py explains, and the mask pattern with the lowest penalty), but about
twelve times faster: qrcode builds the whole symbol eight times to choose the mask, scoring each in pure
Python loops, and computes Reed-Solomon with polynomial objects: ~7 ms per badge, 35 s for 5,000 badges.
Here the data bits are laid out once, all rows (and all columns) of a symbol are held in one integer, each
mask is two operations on it and the four ISO 18004 penalty rules a few dozen more, and Reed-Solomon uses
a table per generator: ~0.5 ms. tests/badges/test_qr.py checks that the chosen mask and the whole matrix
are qrcode's own for hundreds of tokens and other data.

`rectangles(m)` merges the dark modules into horizontal runs, and runs of equal extent on consecutive rows
into one rectangle: a badge's QR is ~400 rectangles instead of ~1,000 modules, which keeps the PDF small.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

import qrcode
from markupsafe import escape
from qrcode import base, util
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the symbol, as the standard requires
OPTIMIZE = 20  # qrcode's `optimize`: segments of at least 20 characters get their own (alphanumeric) mode

Matrix = list[list[bool]]
_DARK_RUN = re.compile("1+")



def _bits(cells) -> int:
    return int("".join(["01"[bool(c)] for c in cells]), 2)


def _packed(lines) -> int:
    """All lines of a symbol in one integer, each followed by a light separator bit, so that one operation
    on it works on every line at once and no run or pattern reaches from one line into the next."""
    return int("0".join("".join(["01"[bool(c)] for c in line]) for line in lines) + "0", 2)


class _Frame:
    """What every symbol of one version shares, as packed integers by rows and by columns: the function
    patterns as qrcode's mask test sees them (format and version areas light), which cells carry data, the
    eight masks; the masks needed to read the packed lines; the order in which the data bits fill the cells
    (qrcode's map_data)."""

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
        self.fixed = (_packed(grid), _packed(columns))
        self.data = (_packed([[c is None for c in row] for row in grid]),
                     _packed([[c is None for c in col] for col in columns]))
        self.masks = []
        for pattern in range(8):
            f = util.mask_func(pattern)
            cells = [[f(i, j) for j in range(n)] for i in range(n)]
            self.masks.append((_packed(cells), _packed(list(zip(*cells)))))
        w = n + 1
        self.width = w
        self.valid = _packed([[True] * n] * n)  # every cell, no separator
        first_line = int("1" * n + "0", 2) << (w * (n - 1))  # the first line's cells (the highest bits)
        first_cell = _packed([[True] + [False] * (n - 1)] * n)
        self.valid_below = self.valid & ~first_line  # cells with a line before them
        self.valid_after = self.valid & ~first_cell  # cells with a cell before them in their line
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


# Rule 3's patterns, dark (1) and light (0) modules, 1:1:3:1:1 with four light modules on one side.
_FINDER_LIKE = ("10111010000", "00001011101")


def _penalty(rows: int, cols: int, fr: _Frame) -> int:
    """qrcode.util.lost_point (the four ISO 18004 rules) for a symbol given as packed rows and columns."""
    points = 0
    dark_sets = (rows, cols)
    light_sets = (~rows & fr.valid, ~cols & fr.valid)
    for y in dark_sets + light_sets:  # rule 1: each run of five or more of one colour scores its length - 2
        w = y & (y >> 1) & (y >> 2) & (y >> 3) & (y >> 4)  # a cell ending five of a kind
        points += w.bit_count() + 2 * (w & ~(w >> 1)).bit_count()
    same_down = ~(rows ^ (rows >> fr.width)) & fr.valid_below  # rule 2: 2x2 blocks of one colour, 3 each
    same_across = ~(rows ^ (rows >> 1)) & fr.valid_after
    points += 3 * (same_down & (same_down >> 1) & same_across).bit_count()
    for dark, light in zip(dark_sets, light_sets):  # rule 3: finder-like patterns, 40 each
        for pattern in _FINDER_LIKE:
            m = -1
            for t, c in enumerate(pattern):
                m &= (dark if c == "1" else light) >> t
            points += 40 * m.bit_count()
    percent = float(rows.bit_count()) / (fr.n ** 2)  # rule 4: balance of dark and light
    return points + int(abs(percent * 100 - 50) / 5) * 10


class _Bits:
    """Stands in for qrcode's BitBuffer (which stores bit by bit): QRData.write puts its bits here."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def put(self, num: int, length: int) -> None:
        self.parts.append(format(num, f"0{length}b"))


@lru_cache(maxsize=None)
def _generator(ec_count: int) -> tuple[int, list[int]]:
    """The Reed-Solomon generator of `ec_count` codewords, as a table: for each leading byte, what to XOR
    into the remainder (packed into one integer of ec_count bytes)."""
    poly = [1]
    for i in range(ec_count):  # (x - a^0)(x - a^1)...: the same polynomial qrcode uses
        nxt = poly + [0]
        for k, c in enumerate(poly):
            if c:
                nxt[k + 1] ^= base.gexp(base.glog(c) + i)
        poly = nxt
    logs = [base.glog(c) for c in poly[1:]]
    table = [0] * 256
    for factor in range(1, 256):
        lf = base.glog(factor)
        value = 0
        for lg in logs:
            value = (value << 8) | base.gexp(lf + lg)
        table[factor] = value
    return ec_count, table


def _ec(data: list[int], ec_count: int) -> list[int]:
    """The error correction codewords of one block: the remainder of data * x^ec by the generator."""
    _, table = _generator(ec_count)
    top, mask = 8 * (ec_count - 1), (1 << (8 * ec_count)) - 1
    rem = 0
    for byte in data:
        factor = byte ^ (rem >> top)
        rem = ((rem << 8) & mask) ^ table[factor]
    return list(rem.to_bytes(ec_count, "big"))


def _version(data_list, error_correction: int, start: int = 1) -> int:
    """qrcode's best_fit: the smallest version the data fits, counted without its bit-by-bit buffer."""
    sizes = util.mode_sizes_for_version(start)
    bits = _Bits()
    for data in data_list:
        bits.put(data.mode, 4)
        bits.put(len(data), sizes[data.mode])
        data.write(bits)
    needed = sum(map(len, bits.parts))
    version = bisect_left(util.BIT_LIMIT_TABLE[error_correction], needed, start)
    if version == 41:
        raise qrcode.exceptions.DataOverflowError()
    if sizes is not util.mode_sizes_for_version(version):  # longer length fields from this version on
        return _version(data_list, error_correction, version)
    return version


def codewords(version: int, error_correction: int, data_list) -> list[int]:
    """qrcode.util.create_data, with the bits joined as text and Reed-Solomon done with a table."""
    bits = _Bits()
    for data in data_list:
        bits.put(data.mode, 4)
        bits.put(len(data), util.length_in_bits(data.mode, version))
        data.write(bits)
    stream = "".join(bits.parts)
    blocks = base.rs_blocks(version, error_correction)
    limit = sum(block.data_count * 8 for block in blocks)
    if len(stream) > limit:
        raise qrcode.exceptions.DataOverflowError("Code length overflow")
    stream += "0" * min(limit - len(stream), 4)  # the terminator
    stream += "0" * (-len(stream) % 8)
    raw = [int(stream[i:i + 8], 2) for i in range(0, len(stream), 8)]
    raw += [util.PAD0 if i % 2 == 0 else util.PAD1 for i in range((limit - len(stream)) // 8)]
    dc, ec, offset = [], [], 0
    for block in blocks:
        part = raw[offset:offset + block.data_count]
        offset += block.data_count
        dc.append(part)
        ec.append(_ec(part, block.total_count - block.data_count))
    out = [d[i] for i in range(max(map(len, dc))) for d in dc if i < len(d)]
    out += [e[i] for i in range(max(map(len, ec))) for e in ec if i < len(e)]
    return out


def matrix(url: str) -> Matrix:
    """The QR symbol for `url` without its quiet zone: rows of modules, True for dark. Exactly qrcode's
    (version, segments, error correction, mask pattern), made without building it eight times."""
    q = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    q.add_data(url, optimize=OPTIMIZE)
    q.version = _version(q.data_list, q.error_correction)
    fr = _frame(q.version)
    n = fr.n
    bits = "".join([format(b, "08b") for b in codewords(q.version, q.error_correction, q.data_list)])
    cells = ["0"] * (n * n)
    for index, bit in zip(fr.order, bits):  # cells past the data stay light, as in map_data
        cells[index] = bit
    raw_rows = int("0".join(["".join(cells[i * n:(i + 1) * n]) for i in range(n)]) + "0", 2)
    raw_cols = int("0".join(["".join(cells[j::n]) for j in range(n)]) + "0", 2)
    best, lowest, best_rows = 0, None, 0
    for pattern, (mask_rows, mask_cols) in enumerate(fr.masks):
        rows = fr.fixed[0] | ((raw_rows ^ mask_rows) & fr.data[0])
        cols = fr.fixed[1] | ((raw_cols ^ mask_cols) & fr.data[1])
        points = _penalty(rows, cols, fr)
        if lowest is None or points < lowest:  # the first of equals, as qrcode does
            best, lowest, best_rows = pattern, points, rows
    text = format(best_rows, f"0{n * fr.width}b")
    q.modules_count = n
    q.modules = [[c == "1" for c in text[i * fr.width:i * fr.width + n]] for i in range(n)]
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
        current = {}
        for run in _DARK_RUN.finditer("".join(["01"[c] for c in row])):
            key = (run.start(), run.end() - run.start())
            top, height = open_.pop(key, (y, 0))
            current[key] = (top, height + 1)
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
