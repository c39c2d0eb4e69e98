"""Finding the header of a survey sheet: title rows above it, two-row headers from merged
cells (坐标 over 经度/纬度), any column order, the synonyms each county writes.

Pure: works on the first rows of a sheet as lists of cell values.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from .normalise import cell_text

# Each field of the import template and the headings that mean it. The first is the
# template's own heading (export writes it); matching ignores spaces, case, width, "*".
FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("排污口编码", "编码", "排口编号", "排污口编号", "排口编码", "排污口代码", "code"),
    "name": ("排污口名称", "名称", "排口名称", "name"),
    "type": ("排污口类型", "类型", "排口类型", "一级类型", "一级分类", "type"),
    "subtype": ("二级类型", "二级分类", "排污口二级类型", "subtype"),
    "water_kind": ("入河/入海", "入河入海", "入河或入海", "河/海", "river/sea"),
    "lon": ("经度", "东经", "坐标经度", "longitude", "lon"),
    "lat": ("纬度", "北纬", "坐标纬度", "latitude", "lat"),
    "crs": ("坐标系", "坐标系统", "crs"),
    "region": (
        "所在行政区",
        "行政区划",
        "所在县区",
        "行政区",
        "所在区县",
        "行政区划代码",
        "region",
    ),
    "address": ("详细地址", "位置", "地址", "具体位置", "address"),
    "water_body": (
        "受纳水体",
        "入河(海)水体",
        "入河水体",
        "入海水体",
        "受纳水体名称",
        "water body",
    ),
    "water_code": ("受纳水体编码", "受纳水体代码", "water body code"),
    "responsible": ("责任主体", "责任单位", "责任主体名称", "排污单位", "responsible entity"),
    "credit_code": (
        "统一社会信用代码",
        "信用代码",
        "责任主体统一社会信用代码",
        "社会信用代码",
        "credit code",
    ),
    "management": ("管理主体", "管理单位", "管理主体名称", "management entity"),
    "department": ("监管部门", "监管单位", "主管部门", "supervising department"),
    "channel": ("排放方式", "排污通道", "排放通道", "入河方式", "channel"),
    "approval_no": (
        "审批（登记、备案）文号",
        "审批(登记、备案)文号",
        "审批文号",
        "登记文号",
        "备案文号",
        "approval number",
    ),
    "approval_date": ("审批日期", "批复日期", "登记日期", "备案日期", "approval date"),
    "approval_authority": ("审批机关", "审批部门", "审批单位", "备案机关", "approval authority"),
    "remediation_category": ("整治类型", "整治分类", "remediation category"),
    "remediation_deadline": (
        "整治时限",
        "整治完成时限",
        "完成时限",
        "整治期限",
        "remediation deadline",
    ),
    "remediation_status": ("整治状态", "整治进展", "remediation status"),
    "signboard_on": ("标识牌设立日期", "标志牌设立日期", "标识牌日期", "signboard installed on"),
    "note": ("备注", "说明", "note"),
}

# Group headings of a two-row header whose sub-headings alone would be ambiguous.
_GROUPS = {
    "坐标": {"经度": "lon", "纬度": "lat", "坐标系": "crs"},
    "地理坐标": {"经度": "lon", "纬度": "lat", "坐标系": "crs"},
    "经纬度": {"经度": "lon", "纬度": "lat", "坐标系": "crs"},
    "责任主体": {
        "名称": "responsible",
        "统一社会信用代码": "credit_code",
        "信用代码": "credit_code",
    },
    "责任单位": {
        "名称": "responsible",
        "统一社会信用代码": "credit_code",
        "信用代码": "credit_code",
    },
    "管理主体": {"名称": "management"},
    "受纳水体": {"名称": "water_body", "编码": "water_code", "代码": "water_code"},
    "排污口": {"名称": "name", "编码": "code", "类型": "type"},
}

# How many rows from the top may hold titles before the header.
SCAN_ROWS = 30
# A header names the code and at least this many fields in all.
MIN_FIELDS = 3


def label_key(text: object) -> str:
    """A heading as matched: NFKC, no spaces or required-markers, lower case, () unified."""
    s = unicodedata.normalize("NFKC", cell_text(text)).lower()
    return re.sub(r"[\s*※:]+", "", s)


_LOOKUP = {label_key(name): key for key, names in FIELDS.items() for name in names}
_GROUP_LOOKUP = {
    label_key(top): {label_key(sub): key for sub, key in subs.items()}
    for top, subs in _GROUPS.items()
}


def match_label(text: object) -> str | None:
    """The field a heading names, or None; a bracketed unit (经度（°）) is ignored."""
    key = label_key(text)
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    bare = re.sub(r"\([^)]*\)$", "", key)
    return _LOOKUP.get(bare)


@dataclass
class Header:
    """Where the header is and which column holds which field (0-based columns)."""

    row: int  # index of the last header row among the sheet's rows
    rows: int  # 1 or 2
    columns: dict[str, int]
    labels: list[str]  # the heading of every column as read
    unknown: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)

    @property
    def data_start(self) -> int:
        return self.row + 1


def _filled(row: list, merged_across: dict[int, int]) -> list[str]:
    """A header row's headings with horizontally merged cells filled from their left."""
    cells = [cell_text(v).strip() for v in row]
    for col, first in merged_across.items():
        if col < len(cells) and not cells[col] and first < len(cells):
            cells[col] = cells[first]
    return cells


def _match_pair(top: str, bottom: str) -> str | None:
    if bottom:
        group = _GROUP_LOOKUP.get(label_key(top))
        if group and label_key(bottom) in group:
            return group[label_key(bottom)]
        return match_label(top + bottom) or match_label(bottom)
    return match_label(top)


def _assign(labels: list[str], matcher) -> tuple[dict[str, int], list, list]:
    columns: dict[str, int] = {}
    unknown, duplicates = [], []
    for col, label in enumerate(labels):
        key = matcher(col)
        if key is None:
            if label:
                unknown.append((col, label))
        elif key in columns:
            duplicates.append((col, label))
        else:
            columns[key] = col
    return columns, unknown, duplicates


def find_header(
    rows: list[list], merged: list[tuple[tuple[int, int], tuple[int, int]]]
) -> Header | None:
    """The header among the first rows (a one- or two-row header), or None if none names
    the code column and enough other fields.

    `merged` lists merged ranges ((row, col), (row, col)) in the same coordinates as `rows`.
    """
    across: dict[int, dict[int, int]] = {}
    for (r0, c0), (r1, c1) in merged:
        for r in range(r0, r1 + 1):
            for c in range(c0 + 1, c1 + 1):
                across.setdefault(r, {})[c] = c0
    best: Header | None = None
    for r in range(min(len(rows), SCAN_ROWS)):
        top = _filled(rows[r], across.get(r, {}))
        candidates = []
        cols, unknown, dups = _assign(top, lambda c, top=top: match_label(top[c]))
        candidates.append(Header(r, 1, cols, top, unknown, dups))
        if r + 1 < len(rows):
            bottom = [cell_text(v).strip() for v in rows[r + 1]]
            width = max(len(top), len(bottom))
            top_w = top + [""] * (width - len(top))
            bottom_w = bottom + [""] * (width - len(bottom))
            labels = [
                (f"{t} {b}" if t and b and t != b else t or b)
                for t, b in zip(top_w, bottom_w, strict=True)
            ]
            cols2, unknown2, dups2 = _assign(
                labels, lambda c, t=top_w, b=bottom_w: _match_pair(t[c], b[c])
            )
            # A two-row header: its top row names fields or groups itself (a title row
            # above a header does not), and the second row adds fields.
            top_names = any(match_label(t) or label_key(t) in _GROUP_LOOKUP for t in top_w)
            if top_names and len(cols2) > len(cols):
                candidates.append(Header(r + 1, 2, cols2, labels, unknown2, dups2))
        for cand in candidates:
            if "code" not in cand.columns or len(cand.columns) < MIN_FIELDS:
                continue
            if best is None or len(cand.columns) > len(best.columns):
                best = cand
    return best
