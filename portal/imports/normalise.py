"""Pure normalisers for the values of a hand-filled survey sheet (no Flask, no database).

Each returns the clean value and a `Note` when it changed something, so the report can show
every normalisation; a value that cannot be read raises `Unreadable` with its kind.
"""

import calendar
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..core.codes import normalise_code
from ..core.geo import CHINA_LAT, CHINA_LON


@dataclass(frozen=True)
class Note:
    """One normalisation: its kind (see report.NOTE_LABELS), the value read, the value kept."""

    kind: str
    old: str
    new: str


class Unreadable(ValueError):
    """A cell whose value cannot be read as what its column holds; `kind` says as what."""

    def __init__(self, kind: str, raw: object):
        super().__init__(f"{kind}: {raw!r}")
        self.kind = kind
        self.raw = raw


def cell_text(value: object) -> str:
    """A cell as text: numbers without a spurious ".0", None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# Full-width ASCII letters and digits (U+FF10…FF5A) and the ideographic space; full-width
# punctuation such as （） stays, because names are written with it.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_FULLWIDTH |= {cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)}
_FULLWIDTH |= {cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)}
_FULLWIDTH[0x3000] = 0x20
_SPACES = re.compile(r"[\s\u00a0\u200b\ufeff]+")
# What clean_text changes: a full-width letter or digit, a space other than one plain space
# between words (leading, trailing, doubled, or another kind).
_UNCLEAN = re.compile(
    r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\u00a0\u200b\ufeff]|[^\S ]|  |^ | $"
)


def clean_text(value: object) -> tuple[str, list[Note]]:
    """Text with full-width letters and digits made half-width and stray spaces removed."""
    if value is None:
        return "", []
    if type(value) is str and not _UNCLEAN.search(value):
        return value, []  # most cells: nothing to change
    raw = cell_text(value)
    notes = []
    text = raw.translate(_FULLWIDTH)
    if text != raw:
        notes.append(Note("fullwidth", raw, text))
    spaced = _SPACES.sub(" ", text).strip()
    if spaced != text:
        notes.append(Note("spaces", text, spaced))
    return spaced, notes


def clean_code(value: object) -> tuple[str, list[Note]]:
    """An outfall code in canonical form (any case or width, separators dropped)."""
    raw = cell_text(value).strip()
    code = normalise_code(raw)
    return code, [Note("code", raw, code)] if code != raw else []


# --- Coordinates -------------------------------------------------------------------

_DEG = "°º˚度"
_MIN = "′'’‘分"
_SEC = '″"”“秒'
_HEMI = {"N": 1, "S": -1, "E": 1, "W": -1, "北": 1, "南": -1, "东": 1, "西": -1}
_DMS = re.compile(
    rf"""^(?P<deg>\d+(?:\.\d+)?)\s*[{_DEG}:]\s*
        (?:(?P<min>\d+(?:\.\d+)?)\s*(?:[{_MIN}]|:)?\s*
          (?:(?P<sec>\d+(?:\.\d+)?)\s*(?:[{_SEC}]|'')?)?)?$""",
    re.VERBOSE,
)
_PREFIX = re.compile(r"^(东经|西经|北纬|南纬|[NSEW北南东西])\s*")
_SUFFIX = re.compile(r"\s*([NSEW北南东西])$")


def parse_angle(value: object) -> tuple[float | None, list[Note]]:
    """Decimal degrees from a number or any common degrees-minutes-seconds writing.

    Raises:
        Unreadable: ("coordinate") the text is neither.
    """
    if value is None or value == "":
        return None, []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise Unreadable("coordinate", value)
        return float(value), []
    raw = cell_text(value)
    # º and ˚ would become "o" and a combining ring under NFKC; ″ becomes ′′.
    text = raw.replace("º", "°").replace("˚", "°")
    text = unicodedata.normalize("NFKC", text).strip().upper().replace("′′", "″")
    if not text:
        return None, []
    sign = 1
    if m := _PREFIX.match(text):
        sign = _HEMI[m.group(1)[-1] if m.group(1)[-1] in _HEMI else m.group(1)[0]]
        text = text[m.end() :]
    if m := _SUFFIX.search(text):
        sign = _HEMI[m.group(1)]
        text = text[: m.start()]
    if text.startswith("-"):
        sign, text = -sign, text[1:]
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and math.isfinite(number):
        return sign * number, ([Note("number", raw, _n(sign * number))] if raw != text else [])
    m = _DMS.match(text.replace(" ", ""))
    if not m:
        raise Unreadable("coordinate", raw)
    deg = float(m.group("deg"))
    minutes = float(m.group("min") or 0)
    seconds = float(m.group("sec") or 0)
    if minutes >= 60 or seconds >= 60:
        raise Unreadable("coordinate", raw)
    result = sign * (deg + minutes / 60 + seconds / 3600)
    return result, [Note("dms", raw, _n(result))]


def _n(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".")


def _in_lat(value: float) -> bool:
    return CHINA_LAT[0] <= value <= CHINA_LAT[1]


def _in_lon(value: float) -> bool:
    return CHINA_LON[0] <= value <= CHINA_LON[1]


def fix_swapped(lat: float, lon: float) -> tuple[float, float, list[Note]]:
    """Latitude and longitude exchanged (a point that only makes sense swapped) put right."""
    if not (_in_lat(lat) and _in_lon(lon)) and _in_lat(lon) and _in_lon(lat):
        return lon, lat, [Note("swapped", f"{_n(lat)}, {_n(lon)}", f"{_n(lon)}, {_n(lat)}")]
    return lat, lon, []


# Coordinate reference systems a sheet may be written in. CGCS2000 differs from WGS84 by
# centimetres: taken as is. GCJ-02 (Amap, Tencent) and BD-09 (Baidu) are offset by hundreds
# of metres and are converted with prcoords' iterative ("bored") inverse.
CRS_NAMES = ("wgs84", "cgcs2000", "gcj02", "bd09")
_CRS_SYNONYMS = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "wgs1984": "wgs84",
    "gps": "wgs84",
    "cgcs2000": "cgcs2000",
    "cgcs-2000": "cgcs2000",
    "2000": "cgcs2000",
    "2000国家大地坐标系": "cgcs2000",
    "国家2000": "cgcs2000",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "火星坐标": "gcj02",
    "火星坐标系": "gcj02",
    "国测局坐标": "gcj02",
    "高德": "gcj02",
    "高德坐标": "gcj02",
    "腾讯": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "百度": "bd09",
    "百度坐标": "bd09",
    "百度坐标系": "bd09",
}


def parse_crs(value: object) -> str | None:
    """A CRS name (one of CRS_NAMES) from what a 坐标系 cell says; None when empty.

    Raises:
        Unreadable: ("crs") a system we do not know.
    """
    text = unicodedata.normalize("NFKC", cell_text(value)).strip().lower().replace(" ", "")
    if not text:
        return None
    text = text.removesuffix("坐标系") if text not in _CRS_SYNONYMS else text
    if text in _CRS_SYNONYMS:
        return _CRS_SYNONYMS[text]
    raise Unreadable("crs", value)


def to_wgs84(lat: float, lon: float, crs: str) -> tuple[float, float, list[Note]]:
    """The WGS84 point of (lat, lon) written in crs."""
    if crs in ("wgs84", "cgcs2000"):
        return lat, lon, []
    import prcoords

    point = prcoords.Coords(lat, lon)
    out = prcoords.gcj_wgs_bored(point) if crs == "gcj02" else prcoords.bd_wgs_bored(point)
    lat2, lon2 = round(out.lat, 7), round(out.lon, 7)
    return lat2, lon2, [Note(crs, f"{_n(lat)}, {_n(lon)}", f"{_n(lat2)}, {_n(lon2)}")]


# --- Dates -------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)
_DATE = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value: object) -> tuple[date | None, list[Note]]:
    """A date from a date cell, an Excel serial number or the usual Chinese writings.

    Raises:
        Unreadable: ("date") anything else, or a day that does not exist.
    """
    if value is None or value == "":
        return None, []
    if type(value) is str and len(value) == 10 and value[4] == value[7] == "-":
        try:  # written as ISO 8601 already (most typed cells): nothing to note
            return date.fromisoformat(value), []
        except ValueError:
            pass  # the general reading below says why
    if isinstance(value, datetime):
        return value.date(), []
    if isinstance(value, date):
        return value, []
    raw = cell_text(value)
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None, []
    try:
        serial = float(text)
    except ValueError:
        serial = None
    if serial is not None and not _COMPACT.match(text):
        # Serials from 1950 to 2100 only: anything else is a typing slip, not a day.
        if not (18_264 <= serial <= 73_051):
            raise Unreadable("date", raw)
        day = _EXCEL_EPOCH + timedelta(days=int(serial))
        return day, [Note("excel_date", raw, day.isoformat())]
    m = _DATE.match(text) or _COMPACT.match(text)
    if not m:
        # "2023-05-01 00:00:00" as a text cell.
        m = _DATE.match(text.split(" ")[0]) if " " in text else None
        if not m:
            raise Unreadable("date", raw)
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise Unreadable("date", raw) from exc
    return day, ([Note("date", raw, day.isoformat())] if raw != day.isoformat() else [])


# How the plans write a deadline (入河排污口整治: "2025年底前", "2023年12月底前"): by the end
# of a year or a month, or by a day, with "前" (before) or without.
_BEFORE = re.compile(r"\s*(之前|以前|前)$")
_END_OF = re.compile(r"^(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*)?[底末]$")
_MONTH_ONLY = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$")


def parse_deadline(value: object) -> tuple[date | None, list[Note]]:
    """A deadline: a date as `parse_date` reads one, or as the plans write one — "2025年底前"
    (31 December), "2025年6月底前" and "2025年6月" (the month's last day), "2025年6月30日前"
    (that day). Each such reading is noted.

    Raises:
        Unreadable: ("date") anything else, or a day or month that does not exist.
    """
    try:
        return parse_date(value)
    except Unreadable:
        pass
    raw = cell_text(value)
    text = _BEFORE.sub("", unicodedata.normalize("NFKC", raw).strip())
    m = _END_OF.match(text) or _MONTH_ONLY.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2) or 12)
        if not 1 <= month <= 12:
            raise Unreadable("date", raw)
        day = date(year, month, calendar.monthrange(year, month)[1])
    else:
        try:
            day, _notes = parse_date(text)
        except Unreadable as exc:
            raise Unreadable("date", raw) from exc
        if day is None:
            raise Unreadable("date", raw)
    return day, [Note("deadline", raw, day.isoformat())]


def split_list(text: str) -> list[str]:
    """Several names or codes in one cell (；;、, or new lines) as a list."""
    return [part.strip() for part in re.split(r"[；;、\n]+", text) if part.strip()]
