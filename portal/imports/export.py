"""The registry in the import template (.xlsx or .csv UTF-8 with BOM), filtered as the
public list is, so that export → import changes nothing; and the empty template."""

import csv
import io
from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..outfalls.models import Outfall, OutfallResponsibility
from ..outfalls.services import OutfallFilters, filtered
from .headers import FIELDS
from .rows import CHANNEL_NAMES, L1_NAMES, L2_NAMES

COLUMNS = (
    "code",
    "name",
    "type",
    "subtype",
    "water_kind",
    "lon",
    "lat",
    "crs",
    "region",
    "address",
    "water_body",
    "water_code",
    "responsible",
    "credit_code",
    "management",
    "department",
    "channel",
    "signboard_on",
)
HEADINGS = [FIELDS[key][0] for key in COLUMNS]
_CHANNEL = {v: k for k, v in reversed(CHANNEL_NAMES.items())}
BATCH = 2000


def _row(o: Outfall) -> list:
    links = o.responsible_links
    return [
        o.code,
        o.name,
        o.category_l1.value,
        o.category_l2.value if o.category_l2 else "",
        "入海" if o.water_kind.value == "sea" else "入河",
        o.lon if o.lon is not None else "",
        o.lat if o.lat is not None else "",
        "WGS84",
        o.region.code,
        o.address,
        o.water_body.name,
        o.water_body.code or "",
        "；".join(link.entity.name for link in links),
        "；".join(link.entity.credit_code or "" for link in links),
        o.management_entity.name if o.management_entity else "",
        o.supervising_department.name if o.supervising_department else "",
        _CHANNEL.get(o.channel_kind.value, "") if o.channel_kind else "",
        o.signboard_installed_on.isoformat() if o.signboard_installed_on else "",
    ]


def rows(filters: OutfallFilters) -> Iterator[list]:
    """Every matching outfall as a template row, by code, in keyset batches (flat memory)."""
    after = ""
    while True:
        batch = db.session.scalars(
            filtered(select(Outfall), filters)
            .where(Outfall.code > after)
            .options(
                joinedload(Outfall.region),
                joinedload(Outfall.water_body),
                joinedload(Outfall.management_entity),
                joinedload(Outfall.supervising_department),
                selectinload(Outfall.responsible_links).joinedload(OutfallResponsibility.entity),
            )
            .order_by(Outfall.code)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        for outfall in batch:
            yield _row(outfall)
        after = batch[-1].code
        db.session.expunge_all()


def csv_chunks(filters: OutfallFilters) -> Iterator[bytes]:
    """The export as CSV, UTF-8 with BOM (Excel on Chinese Windows opens it right), streamed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    for n, row in enumerate(rows(filters), 1):
        if n % 500 == 1:
            buffer.seek(0)
            buffer.truncate()
        writer.writerow(row)
        if n % 500 == 0:
            yield buffer.getvalue().encode()
    if buffer.tell():
        yield buffer.getvalue().encode()


def write_xlsx(filters: OutfallFilters | None, out) -> None:
    """The export (or, with filters None, the empty template) as .xlsx, write-only."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Outfalls"))
    sheet.append(HEADINGS)
    if filters is not None:
        for row in rows(filters):
            sheet.append(row)
    guide = book.create_sheet(_("Columns"))
    guide.append(["列 / Column", "说明 / Meaning", "可填的值 / Allowed values"])
    for key in COLUMNS:
        guide.append([FIELDS[key][0], *GUIDE[key]])
    book.save(out)


_L1 = "、".join(f"{code} {name}" for name, code in L1_NAMES.items())
_L2 = "、".join(L2_NAMES)
GUIDE = {
    "code": (
        "HJ 1235 排污口编码 / outfall code (required)",
        "字母与数字 4–40 位 / 4–40 letters and digits",
    ),
    "name": ("排污口名称 / name (required)", "≤200 字 / at most 200 characters"),
    "type": ("一级类型 / type (required)", _L1),
    "subtype": ("二级类型 / subtype", _L2),
    "water_kind": ("入河或入海 / river or sea", "入河、入海 / river, sea"),
    "lon": ("经度 / longitude", "小数或度分秒 / decimal or 108°33′12.5″"),
    "lat": ("纬度 / latitude", "小数或度分秒 / decimal or 21°57′0″"),
    "crs": ("坐标系 / coordinate system", "WGS84、CGCS2000、GCJ-02（高德）、BD-09（百度）"),
    "region": ("所在行政区 / region (required)", "行政区划代码或名称 / GB/T 2260 code or name"),
    "address": ("详细地址 / address", "≤200 字 / at most 200 characters"),
    "water_body": ("受纳水体 / receiving water (required)", "已有水体名称 / a known water body"),
    "water_code": ("受纳水体编码 / water body code", "同名水体时填写 / when names repeat"),
    "responsible": (
        "责任主体 / responsible entities",
        "多个用“；”分隔，首个为主要责任主体 / first is primary",
    ),
    "credit_code": (
        "统一社会信用代码 / credit codes",
        "18 位，与责任主体一一对应 / 18 characters, one per entity",
    ),
    "management": ("管理主体 / management entity", "单位名称 / name"),
    "department": ("监管部门 / supervising department", "部门全称 / the department's name"),
    "channel": ("排放方式 / discharge channel", "明渠、管道、泵站、涵闸、箱涵、其他"),
    "signboard_on": (
        "标识牌设立日期 / signboard installed on",
        "2023-05-01、2023年5月1日、2023/05/01",
    ),
}
