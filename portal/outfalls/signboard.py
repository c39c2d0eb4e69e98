"""Printable outfall signboards (SVG and PDF): pure functions, no Flask or database.

The design follows the GB 15562.1 flat-mounted notice sign (提示标志): 480 x 300 mm,
green ground, white symbol and bold sans-serif (黑体) text, plus a QR code on a white
panel that leads to the outfall's public page. One layout is computed in millimetres
and rendered twice, so the SVG and the PDF show the same sign.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from portal.outfalls.qr import qr_matrix

# Sheet size of a flat-mounted notice sign (GB 15562.1), in mm.
SIGN_WIDTH = 480.0
SIGN_HEIGHT = 300.0

# Safety green (GB 2893 family) and the white used for symbol and text.
GREEN = "#00843D"
WHITE = "#FFFFFF"
BLACK = "#000000"

# "Noto Sans SC" is the vendored PDF font's own family name, so layouts measured
# with it render alike wherever it is installed.
SVG_FONT_FAMILY = (
    '"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC",'
    '"Microsoft YaHei","PingFang SC",sans-serif'
)
PDF_FONT_FILE = "NotoSansSC-Bold.ttf"
CODE_LABEL = "编码"

_PT_PER_MM = 72 / 25.4
# Share of the em box above the baseline for CJK glyphs (ideographic em box
# spans -0.12..0.88 em), used to place a text block by its visual top.
_ASCENT = 0.88

# Left column: symbol, title, name, code, rows. Right column: QR panel, footer.
_LEFT_X0, _LEFT_X1 = 20.0, 290.0
_RIGHT_X0, _RIGHT_X1 = 302.0, 460.0
_TOP, _BOTTOM = 20.0, 282.0
_PANEL_MARGIN = 4.0

# Characters that must not start a line (closing punctuation) or end one.
_NO_LINE_START = frozenset("，。、；：？！）》」』】〉”’,.;:?!)]}>%…·")
_NO_LINE_END = frozenset("（《「『【〈“‘([{<")
# ASCII runs (words, numbers, codes) wrap as a unit; anything else per character.
_TOKEN_RE = re.compile(r"[!-~]+|\s+|.", re.DOTALL)


def pdf_font_path() -> Path:
    """Return the path of the vendored CJK font embedded in signboard PDFs."""
    return Path(__file__).resolve().parents[2] / "static" / "fonts" / PDF_FONT_FILE


@dataclass(frozen=True)
class SignboardContent:
    """Already translated text and the QR target URL for one signboard."""

    title: str
    name: str
    code: str
    rows: tuple[tuple[str, str], ...]
    url: str
    footer: str


@dataclass(frozen=True)
class _Rect:
    """A rectangle in mm, optionally rounded, filled and/or stroked."""

    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 0.0
    radius: float = 0.0


@dataclass(frozen=True)
class _Path:
    """A path in mm: ("M", x, y), ("L", x, y), ("C", x1, y1, x2, y2, x, y), ("Z",)."""

    commands: tuple[tuple, ...]
    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 0.0


@dataclass(frozen=True)
class _Text:
    """One line of text; (x, y) is the left end of the baseline, size in mm."""

    x: float
    y: float
    size: float
    text: str
    color: str = WHITE


@dataclass(frozen=True)
class _QRCode:
    """QR modules (quiet zone included) drawn dark-only at (x, y), module in mm."""

    x: float
    y: float
    module: float
    matrix: tuple[tuple[bool, ...], ...]


_Shape = _Rect | _Path | _Text | _QRCode
_Measure = Callable[[str, float], float]


@lru_cache(maxsize=1)
def _advances() -> tuple[dict[int, float], float]:
    """Return per-codepoint advance widths (in em) of the PDF font and its default."""
    font = _font_data()
    upm, advances = font.units_per_em, font.advances
    return {cp: advances[g] / upm for cp, g in font.gids.items()}, advances[0] / upm


def _measure(text: str, size: float) -> float:
    """Width in mm of text set in the signboard font at size mm."""
    widths, default = _advances()
    return sum(widths.get(ord(ch), default) for ch in text) * size


def _clean(text: str) -> str:
    """Drop control characters (invalid in XML, invisible on a sign); fold spaces."""
    kept = []
    for ch in str(text):
        category = unicodedata.category(ch)
        if ch in "\t\n\r" or category in ("Zs", "Zl", "Zp"):
            kept.append(" ")
        elif category not in ("Cc", "Cs", "Co", "Cn"):
            kept.append(ch)
    return re.sub(r" {2,}", " ", "".join(kept)).strip()


def _tokens(text: str) -> list[str]:
    """Split text into unbreakable pieces, gluing punctuation to its neighbour."""
    tokens: list[str] = []
    for tok in _TOKEN_RE.findall(text):
        if tokens and (tok[0] in _NO_LINE_START or tokens[-1][-1] in _NO_LINE_END):
            tokens[-1] += tok
        else:
            tokens.append(tok)
    return tokens


def _wrap(text: str, width: float, size: float, measure: _Measure) -> list[str]:
    """Greedy line breaking of text into lines no wider than width."""
    lines: list[str] = []
    current = ""
    for tok in _tokens(text):
        if measure((current + tok).rstrip(), size) <= width:
            current += tok
            continue
        if current.strip():
            lines.append(current.rstrip())
            current = ""
        tok = tok.lstrip()
        if measure(tok, size) <= width:
            current = tok
            continue
        # A single piece wider than the line (a long code or URL): cut anywhere.
        for ch in tok:
            if current and measure(current + ch, size) > width:
                lines.append(current)
                current = ""
            current += ch
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _balance(
    text: str,
    width: float,
    size: float,
    count: int,
    measure: _Measure,
) -> list[str]:
    """Wrap text into count lines of similar length (narrowest width that works)."""
    lines = _wrap(text, width, size, measure)
    if count < 2 or len(lines) != count:
        return lines
    low, high = width / count, width
    for _ in range(12):
        mid = (low + high) / 2
        if len(_wrap(text, mid, size, measure)) <= count:
            high = mid
        else:
            low = mid
    return _wrap(text, high, size, measure)


def _ellipsize(text: str, width: float, size: float, measure: _Measure) -> str:
    """Shorten text with a trailing ellipsis until it fits width."""
    if measure(text, size) <= width:
        return text
    while text and measure(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _fit(
    text: str,
    width: float,
    height: float,
    max_size: float,
    min_size: float,
    measure: _Measure,
    leading: float = 1.25,
    max_lines: int | None = None,
) -> tuple[float, list[str]]:
    """Largest size (step 0.25 mm) at which text wraps into the width x height box."""
    size = max_size
    while True:
        lines = _wrap(text, width, size, measure)
        # The first line needs one em, each further line `leading` em.
        allowed = max(1, int((height - size) / (size * leading) + 1e-9) + 1)
        if max_lines is not None:
            allowed = min(allowed, max_lines)
        if len(lines) <= allowed:
            return size, _balance(text, width, size, len(lines), measure)
        if size <= min_size:
            kept = lines[:allowed]
            kept[-1] = _ellipsize(kept[-1] + lines[allowed], width, size, measure)
            return size, kept
        size = max(min_size, size - 0.25)


def _block_height(lines: int, size: float, leading: float = 1.25) -> float:
    """Height of a text block from the top of its first line to its last baseline."""
    return size + max(lines - 1, 0) * leading * size if lines else 0.0


def _text_block(
    lines: Sequence[str],
    x: float,
    top: float,
    size: float,
    leading: float = 1.25,
    centre_width: float | None = None,
    measure: _Measure = _measure,
) -> list[_Text]:
    """Place lines from the visual top of a block, optionally centred in a width."""
    shapes = []
    for i, line in enumerate(lines):
        lx = x
        if centre_width is not None:
            lx = x + (centre_width - measure(line, size)) / 2
        shapes.append(_Text(lx, top + _ASCENT * size + i * leading * size, size, line))
    return shapes


def _symbol(x: float, y: float, side: float) -> list[_Shape]:
    """The outfall notice symbol: a pipe discharging into water, in a white frame."""
    k = side / 100

    def p(px: float, py: float) -> tuple[float, float]:
        """Map symbol units (0..100) to sign millimetres."""
        return x + px * k, y + py * k

    shapes: list[_Shape] = [
        _Rect(x, y, side, side, stroke=WHITE, stroke_width=4 * k, radius=8 * k),
        _Rect(*p(12, 26), 34 * k, 12 * k, fill=WHITE),  # pipe
        _Rect(*p(46, 21), 6 * k, 22 * k, fill=WHITE),  # flange at the outlet
        _Path(
            (
                # Starts inside the flange so no hairline shows between them.
                ("M", *p(51, 27)),
                ("C", *p(70, 27), *p(78, 40), *p(78, 60)),
                ("L", *p(66, 60)),
                ("C", *p(66, 46), *p(61, 38), *p(51, 38)),
                ("Z",),
            ),
            fill=WHITE,
        ),
    ]
    for wy in (68.0, 78.0, 88.0):
        commands: list[tuple] = [("M", *p(14, wy))]
        for i in range(6):
            x0 = 14 + 12 * i
            a = -4 if i % 2 == 0 else 4
            # Half a wave: a cubic from (x0, wy) to (x0 + 12, wy) bulging by a.
            bulge = (*p(x0 + 4, wy + a), *p(x0 + 8, wy + a))
            commands.append(("C", *bulge, *p(x0 + 12, wy)))
        shapes.append(_Path(tuple(commands), stroke=WHITE, stroke_width=4 * k))
    return shapes


def _rows_layout(
    rows: Sequence[tuple[str, str]],
    top: float,
    measure: _Measure,
) -> list[_Text]:
    """Label/value rows with aligned values, shrunk and wrapped to fit the column."""
    width = _LEFT_X1 - _LEFT_X0
    height = _BOTTOM - top
    labels = [f"{label}：" if label else "" for label, _ in rows]
    values = [value for _, value in rows]
    leading, gap = 1.3, 0.35
    max_size, min_size, min_single_line = 13.0, 6.0, 10.0

    def attempt(size: float, single_line: bool) -> tuple[float, list[list[str]]] | None:
        """Label width and wrapped values at size, or None if they do not fit."""
        label_w = min(max((measure(t, size) for t in labels), default=0), width * 0.4)
        value_w = width - label_w
        wrapped = [_wrap(v, value_w, size, measure) or [""] for v in values]
        if single_line and any(len(w) > 1 for w in wrapped):
            return None
        if size > min_size:
            return (label_w, wrapped) if used_height(wrapped, size) <= height else None
        # Last resort: cut values to two lines, then to one; rows that still do not
        # fit are dropped when placed.
        for cap in (2, 1):
            capped = [cut(w, cap, value_w, size) for w in wrapped]
            if used_height(capped, size) <= height:
                break
        return label_w, capped

    def cut(lines: list[str], cap: int, width: float, size: float) -> list[str]:
        """Keep at most cap lines, ellipsizing the last one kept."""
        if len(lines) <= cap:
            return lines
        tail = _ellipsize("".join(lines[cap - 1 :]), width, size, measure)
        return lines[: cap - 1] + [tail]

    def used_height(wrapped: list[list[str]], size: float) -> float:
        """Height of all rows at size."""
        used = _block_height(sum(len(w) for w in wrapped), size, leading)
        return used + gap * size * (len(wrapped) - 1)

    # Prefer every value on one line at a readable size, then allow wrapping.
    sizes = [max_size - 0.25 * i for i in range(int((max_size - min_size) / 0.25) + 1)]
    candidates = [(s, True) for s in sizes if s >= min_single_line]
    candidates += [(s, False) for s in sizes]
    for size, single_line in candidates:
        result = attempt(size, single_line)
        if result is not None:
            break
    assert result is not None  # the last candidate always returns a layout
    label_w, wrapped = result

    shapes: list[_Text] = []
    y = top + _ASCENT * size
    for label, lines in zip(labels, wrapped, strict=True):
        if y > _BOTTOM:
            break
        label = _ellipsize(label, label_w, size, measure)
        shapes.append(_Text(_LEFT_X0, y, size, label))
        for line in lines:
            if y > _BOTTOM:
                break
            shapes.append(_Text(_LEFT_X0 + label_w, y, size, line))
            y += leading * size
        y += gap * size
    return shapes


def _layout(content: SignboardContent, measure: _Measure = _measure) -> list[_Shape]:
    """Compute every shape of the sign in mm (origin top-left, y down)."""
    shapes: list[_Shape] = [
        _Rect(0, 0, SIGN_WIDTH, SIGN_HEIGHT, fill=GREEN),
        _Rect(
            7,
            7,
            SIGN_WIDTH - 14,
            SIGN_HEIGHT - 14,
            stroke=WHITE,
            stroke_width=2,
            radius=6,
        ),
    ]

    # Header: symbol, then the sign name vertically centred on it.
    symbol_side = 58.0
    shapes += _symbol(_LEFT_X0, _TOP, symbol_side)
    title_x = _LEFT_X0 + symbol_side + 12
    title = _clean(content.title)
    size, lines = _fit(title, _LEFT_X1 - title_x, 40, 40, 14, measure, max_lines=1)
    centre = _TOP + symbol_side / 2
    shapes += _text_block(lines, title_x, centre - 0.5 * size, size, measure=measure)
    shapes.append(_Rect(_LEFT_X0, 86, _LEFT_X1 - _LEFT_X0, 1.2, fill=WHITE))

    # Name, code and rows flow down the left column; the name may take 3 lines.
    width = _LEFT_X1 - _LEFT_X0
    top = 96.0
    size, lines = _fit(_clean(content.name), width, 50, 17, 8, measure, leading=1.2)
    shapes += _text_block(lines, _LEFT_X0, top, size, leading=1.2, measure=measure)
    top += _block_height(len(lines), size, 1.2) + 6

    code_text = f"{CODE_LABEL}：{_clean(content.code)}"
    size, lines = _fit(code_text, width, 10, 10, 5, measure, max_lines=1)
    shapes += _text_block(lines, _LEFT_X0, top, size, measure=measure)
    top += _block_height(len(lines), size) + 10

    rows = [(_clean(label), _clean(value)) for label, value in content.rows]
    shapes += _rows_layout(rows, top, measure)

    # Right column: white panel with the QR code (its quiet zone is white too).
    panel = _RIGHT_X1 - _RIGHT_X0
    shapes.append(_Rect(_RIGHT_X0, _TOP, panel, panel, fill=WHITE, radius=3))
    matrix = tuple(tuple(row) for row in qr_matrix(content.url))
    module = (panel - 2 * _PANEL_MARGIN) / len(matrix)
    qr_x, qr_y = _RIGHT_X0 + _PANEL_MARGIN, _TOP + _PANEL_MARGIN
    shapes.append(_QRCode(qr_x, qr_y, module, matrix))

    # The URL sits on the bottom edge, for typing it in when a phone cannot scan.
    url = _clean(content.url)
    url_size, url_lines = _fit(url, panel, 5, 5, 3.5, measure, max_lines=1)
    url_top = _BOTTOM - url_size
    shapes += _text_block(
        url_lines, _RIGHT_X0, url_top, url_size, centre_width=panel, measure=measure
    )
    footer_top = _TOP + panel + 9
    footer = _clean(content.footer)
    size, lines = _fit(footer, panel, url_top - 6 - footer_top, 11, 5, measure)
    shapes += _text_block(
        lines,
        _RIGHT_X0,
        footer_top,
        size,
        centre_width=panel,
        measure=measure,
    )
    return shapes


def _n(value: float) -> str:
    """Format a coordinate compactly (at most 3 decimals)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _svg_path_data(commands: Sequence[tuple]) -> str:
    """Serialise path commands as SVG path data."""
    return " ".join(c[0] + " ".join(_n(v) for v in c[1:]) for c in commands)


def _qr_runs(matrix: Sequence[Sequence[bool]]) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as (column, row, length)."""
    runs = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                runs.append((start, r, c - start))
            else:
                c += 1
    return runs


def _paint_attrs(fill: str | None, stroke: str | None, width: float) -> str:
    """SVG fill/stroke attributes."""
    attrs = f' fill="{fill or "none"}"'
    if stroke:
        attrs += f' stroke="{stroke}" stroke-width="{_n(width)}"'
        attrs += ' stroke-linecap="round" stroke-linejoin="round"'
    return attrs


def signboard_svg(content: SignboardContent) -> bytes:
    """Render the signboard as a standalone SVG at real size (480 x 300 mm)."""
    title = escape(f"{_clean(content.title)} {_clean(content.name)}")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            '<svg xmlns="http://www.w3.org/2000/svg" version="1.1"'
            f' width="{_n(SIGN_WIDTH)}mm" height="{_n(SIGN_HEIGHT)}mm"'
            f' viewBox="0 0 {_n(SIGN_WIDTH)} {_n(SIGN_HEIGHT)}" role="img">'
        ),
        f"<title>{title}</title>",
    ]
    texts: list[str] = []
    for shape in _layout(content):
        if isinstance(shape, _Rect):
            radius = f' rx="{_n(shape.radius)}"' if shape.radius else ""
            out.append(
                f'<rect x="{_n(shape.x)}" y="{_n(shape.y)}" width="{_n(shape.w)}"'
                f' height="{_n(shape.h)}"{radius}'
                f"{_paint_attrs(shape.fill, shape.stroke, shape.stroke_width)}/>"
            )
        elif isinstance(shape, _Path):
            out.append(
                f'<path d="{_svg_path_data(shape.commands)}"'
                f"{_paint_attrs(shape.fill, shape.stroke, shape.stroke_width)}/>"
            )
        elif isinstance(shape, _QRCode):
            # One path in module units so renderers leave no seams between runs.
            runs = _qr_runs(shape.matrix)
            data = "".join(f"M{c} {r}h{n}v1h-{n}z" for c, r, n in runs)
            out.append(
                f'<path transform="translate({_n(shape.x)} {_n(shape.y)})'
                f' scale({_n(shape.module)})" fill="{BLACK}"'
                f' shape-rendering="crispEdges" d="{data}"/>'
            )
        else:
            texts.append(
                f'<text x="{_n(shape.x)}" y="{_n(shape.y)}"'
                f' font-size="{_n(shape.size)}" fill="{shape.color}">'
                f"{escape(shape.text)}</text>"
            )
    family = quoteattr(SVG_FONT_FAMILY)
    out.append(f'<g font-family={family} font-weight="bold" xml:space="preserve">')
    out += texts
    out += ["</g>", "</svg>", ""]
    return "\n".join(out).encode("utf-8")


def _rgb(color: str) -> tuple[int, int, int]:
    """Parse #RRGGBB."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


# --- PDF ---------------------------------------------------------------------------
#
# A small PDF writer of its own rather than fpdf2: fpdf2 keeps every page in memory until
# the end and costs ~35 ms a page, while a batch of 1,000 signboards must stream. Each
# page's content stream is written as soon as it is drawn; the text refers to the font's
# own glyph ids (CIDs), so the font can be subset once, at the end, to the union of the
# glyphs every page used (a CIDToGIDMap maps the ids into the subset).

_FONT_NAME = "NotoSansSC-Bold"
# Kappa: control-point distance of a cubic Bézier approximating a quarter circle.
_KAPPA = 0.5522847498
# Fixed object numbers; pages and their content streams follow from _FIRST_PAGE.
_CATALOG, _PAGES, _INFO, _TYPE0, _CIDFONT, _DESCRIPTOR, _FONTFILE = 1, 2, 3, 4, 5, 6, 7
_TOUNICODE, _CIDTOGID, _RESOURCES, _FIRST_PAGE = 8, 9, 10, 11


@dataclass(frozen=True)
class _FontData:
    """What the writer needs from the font: glyph ids, advances, descriptor metrics."""

    gids: dict[int, int]  # code point -> glyph id
    advances: tuple[int, ...]  # glyph id -> advance in font units
    units_per_em: int
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int


def _placeholder_order(font) -> None:
    """Give glyphs the names g1, g2, … so a name tells its id. The font has none (post
    format 3); fontTools would derive ~30k names from the cmap, which is slow."""
    count = font["maxp"].numGlyphs
    font.setGlyphOrder([".notdef"] + [f"g{i}" for i in range(1, count)])


@lru_cache(maxsize=1)
def _font_data() -> _FontData:
    """Read the font's cmap, advances and metrics once per process."""
    from fontTools.ttLib import TTFont

    with TTFont(pdf_font_path(), lazy=True) as font:
        _placeholder_order(font)
        head, os2 = font["head"], font["OS/2"]
        metrics = font["hmtx"].metrics
        order = font.getGlyphOrder()
        return _FontData(
            gids={cp: int(name[1:]) for cp, name in font.getBestCmap().items()},
            advances=tuple(metrics[name][0] for name in order),
            units_per_em=head.unitsPerEm,
            bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
            ascent=os2.sTypoAscender,
            descent=os2.sTypoDescender,
            cap_height=getattr(os2, "sCapHeight", os2.sTypoAscender),
        )


def _subset_font(gids: set[int]) -> tuple[bytes, dict[int, int]]:
    """The font cut down to `gids` (TrueType bytes) and each kept id's id in the subset."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.glyph_names = False
    options.layout_features = []  # no shaping: text is set glyph by glyph from the cmap
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["BASE", "GDEF", "GPOS", "GSUB", "STAT", "vhea", "vmtx", "DSIG"]
    with TTFont(pdf_font_path(), lazy=True) as font:
        _placeholder_order(font)
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=sorted(gids | {0}))
        subsetter.subset(font)
        # Kept glyphs keep their placeholder names g<original id> (.notdef stays 0).
        new = {
            (0 if name == ".notdef" else int(name[1:])): i
            for i, name in enumerate(font.getGlyphOrder())
        }
        buffer = io.BytesIO()
        font.save(buffer)
    return buffer.getvalue(), new


def _pdf_string(text: str) -> str:
    """A text string for the document information (UTF-16BE with BOM, as hex)."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _color_op(color: str, op: str) -> str:
    """A DeviceRGB colour operator (rg: fill, RG: stroke)."""
    r, g, b = _rgb(color)
    return f"{_n(r / 255)} {_n(g / 255)} {_n(b / 255)} {op}"


def _rect_ops(shape: _Rect) -> str:
    """Path construction operators for a (rounded) rectangle, in mm with y down."""
    x, y, w, h, r = shape.x, shape.y, shape.w, shape.h, min(shape.radius, shape.w / 2, shape.h / 2)
    if r <= 0:
        return f"{_n(x)} {_n(y)} {_n(w)} {_n(h)} re"
    k = _KAPPA * r
    x1, y1 = x + w, y + h
    pts = [
        ("m", x + r, y),
        ("l", x1 - r, y),
        ("c", x1 - r + k, y, x1, y + r - k, x1, y + r),
        ("l", x1, y1 - r),
        ("c", x1, y1 - r + k, x1 - r + k, y1, x1 - r, y1),
        ("l", x + r, y1),
        ("c", x + r - k, y1, x, y1 - r + k, x, y1 - r),
        ("l", x, y + r),
        ("c", x, y + r - k, x + r - k, y, x + r, y),
    ]
    return " ".join(" ".join(_n(v) for v in p[1:]) + " " + p[0] for p in pts) + " h"


def _paint_op(fill: str | None, stroke: str | None) -> str:
    """The painting operator for a fill and/or stroke."""
    if fill and stroke:
        return "B"
    return "f" if fill else "S"


def _style_ops(fill: str | None, stroke: str | None, width: float) -> list[str]:
    """Colour and line-width operators for a shape."""
    ops = []
    if fill:
        ops.append(_color_op(fill, "rg"))
    if stroke:
        ops += [_color_op(stroke, "RG"), f"{_n(width)} w"]
    return ops


class _PdfWriter:
    """Writes a signboard PDF to a binary file page by page; `close()` adds the font."""

    def __init__(self, out, title: str) -> None:
        self._out = out
        self._written = 0
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._used: dict[int, int] = {}  # glyph id -> the code point it was set for
        self._font = _font_data()
        self._title = title
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._written += len(data)

    def _object(self, number: int, body: str | bytes, stream: bytes | None = None) -> None:
        """Write object `number` (a dictionary or other body, optionally with a stream)."""
        self._offsets[number] = self._written
        if isinstance(body, str):
            body = body.encode("latin-1")
        if stream is None:
            self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        else:
            self._write(b"%d 0 obj\n%s\nstream\n" % (number, body))
            self._write(stream)
            self._write(b"\nendstream\nendobj\n")

    def _flate(self, number: int, data: bytes, extra: str = "") -> None:
        """Write a compressed stream object."""
        packed = zlib.compress(data, 6)
        self._object(number, f"<< /Length {len(packed)} /Filter /FlateDecode{extra} >>", packed)

    def _glyphs(self, text: str) -> str:
        """The text as two-byte glyph ids (hex), recording each glyph used."""
        gids, used = self._font.gids, self._used
        out = []
        for ch in text:
            cp = ord(ch)
            gid = gids.get(cp, 0)
            if gid and gid not in used:
                used[gid] = cp
            out.append(f"{gid:04X}")
        return "".join(out)

    def page(self, content: SignboardContent) -> None:
        """Draw one signboard as the next page and write it out."""
        # User space in mm with the origin at the top left and y down, as the layout.
        ops = [f"{_n(_PT_PER_MM)} 0 0 {_n(-_PT_PER_MM)} 0 {_n(SIGN_HEIGHT * _PT_PER_MM)} cm"]
        ops.append("1 J 1 j")  # round caps and joins, as the SVG strokes
        for shape in _layout(content):
            if isinstance(shape, _Rect):
                ops += _style_ops(shape.fill, shape.stroke, shape.stroke_width)
                ops.append(_rect_ops(shape) + " " + _paint_op(shape.fill, shape.stroke))
            elif isinstance(shape, _Path):
                ops += _style_ops(shape.fill, shape.stroke, shape.stroke_width)
                parts = []
                for command in shape.commands:
                    op = {"M": "m", "L": "l", "C": "c", "Z": "h"}[command[0]]
                    parts.append(" ".join([*(_n(v) for v in command[1:]), op]))
                ops.append(" ".join(parts) + " " + _paint_op(shape.fill, shape.stroke))
            elif isinstance(shape, _QRCode):
                # One fill so viewers do not anti-alias seams between adjacent runs.
                m, x0, y0 = shape.module, shape.x, shape.y
                ops.append(_color_op(BLACK, "rg"))
                ops.append(
                    " ".join(
                        f"{_n(x0 + c * m)} {_n(y0 + r * m)} {_n(n * m)} {_n(m)} re"
                        for c, r, n in _qr_runs(shape.matrix)
                    )
                    + " f"
                )
            else:
                # The text matrix flips y back so glyphs stand upright.
                ops.append(
                    f"BT {_color_op(shape.color, 'rg')} /F1 {_n(shape.size)} Tf "
                    f"1 0 0 -1 {_n(shape.x)} {_n(shape.y)} Tm <{self._glyphs(shape.text)}> Tj ET"
                )
        number = _FIRST_PAGE + 2 * len(self._pages)
        width, height = _n(SIGN_WIDTH * _PT_PER_MM), _n(SIGN_HEIGHT * _PT_PER_MM)
        self._flate(number + 1, "\n".join(ops).encode("ascii"))
        self._object(
            number,
            f"<< /Type /Page /Parent {_PAGES} 0 R /MediaBox [0 0 {width} {height}] "
            f"/Resources {_RESOURCES} 0 R /Contents {number + 1} 0 R >>",
        )
        self._pages.append(number)

    def close(self) -> int:
        """Write the font (subset to every glyph used), page tree and trailer."""
        font = self._font
        data, new_ids = _subset_font(set(self._used))
        used = sorted(self._used)
        digest = hashlib.sha256(",".join(map(str, used)).encode()).digest()
        tag = "".join(chr(65 + b % 26) for b in digest[:6])
        base = f"/{tag}+{_FONT_NAME}"
        scale = 1000 / font.units_per_em

        def units(value: float) -> str:
            return _n(value * scale)

        self._object(
            _TYPE0,
            f"<< /Type /Font /Subtype /Type0 /BaseFont {base} /Encoding /Identity-H "
            f"/DescendantFonts [{_CIDFONT} 0 R] /ToUnicode {_TOUNICODE} 0 R >>",
        )
        widths = " ".join(f"{gid} [{units(font.advances[gid])}]" for gid in used)
        self._object(
            _CIDFONT,
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont {base} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {_DESCRIPTOR} 0 R /DW {units(font.advances[0])} "
            f"/W [{widths}] /CIDToGIDMap {_CIDTOGID} 0 R >>",
        )
        bbox = " ".join(units(v) for v in font.bbox)
        self._object(
            _DESCRIPTOR,
            f"<< /Type /FontDescriptor /FontName {base} /Flags 4 /FontBBox [{bbox}] "
            f"/ItalicAngle 0 /Ascent {units(font.ascent)} /Descent {units(font.descent)} "
            f"/CapHeight {units(font.cap_height)} /StemV 120 /FontWeight 700 "
            f"/FontFile2 {_FONTFILE} 0 R >>",
        )
        self._flate(_FONTFILE, data, f" /Length1 {len(data)}")
        cid_to_gid = bytearray(2 * ((used[-1] if used else 0) + 1))
        for gid in used:
            cid_to_gid[2 * gid : 2 * gid + 2] = new_ids[gid].to_bytes(2, "big")
        self._flate(_CIDTOGID, bytes(cid_to_gid))
        self._flate(_TOUNICODE, _to_unicode(self._used).encode("ascii"))
        self._object(_RESOURCES, f"<< /Font << /F1 {_TYPE0} 0 R >> >>")
        kids = " ".join(f"{n} 0 R" for n in self._pages)
        self._object(_PAGES, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>")
        self._object(
            _INFO,
            f"<< /Title {_pdf_string(self._title)} /Creator (portal.outfalls.signboard) >>",
        )
        self._object(
            _CATALOG,
            f"<< /Type /Catalog /Pages {_PAGES} 0 R /Lang (zh-CN) "
            "/ViewerPreferences << /DisplayDocTitle true >> >>",
        )
        size = max(self._offsets) + 1
        start = self._written
        xref = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        xref += [f"{self._offsets[number]:010d} 00000 n \n" for number in range(1, size)]
        xref.append(
            f"trailer\n<< /Size {size} /Root {_CATALOG} 0 R /Info {_INFO} 0 R >>\n"
            f"startxref\n{start}\n%%EOF\n"
        )
        self._write("".join(xref).encode("ascii"))
        return len(self._pages)


def _to_unicode(used: dict[int, int]) -> str:
    """A ToUnicode CMap from glyph ids back to the characters set with them."""
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    items = sorted(used.items())
    for i in range(0, len(items), 100):
        chunk = items[i : i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{gid:04X}> <{chr(cp).encode('utf-16-be').hex().upper()}>" for gid, cp in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMapName defineresource pop", "end", "end"]
    return "\n".join(lines)


# Identical signboards are common (reprints, the landing page's download), so finished
# PDFs are kept by content.
@lru_cache(maxsize=64)
def signboard_pdf(content: SignboardContent) -> bytes:
    """Render the signboard as a one-page PDF at real size with an embedded CJK font."""
    buffer = io.BytesIO()
    signboards_pdf([content], buffer, f"{_clean(content.title)} {_clean(content.name)}")
    return buffer.getvalue()


def signboards_pdf(contents, out, title: str = "") -> int:
    """Many signboards, one per page at real size, written to the binary file `out` as
    they come (memory stays flat); the font is embedded once, subset to every glyph used.
    Returns the number of pages."""
    writer = _PdfWriter(out, title)
    for content in contents:
        writer.page(content)
    return writer.close()
