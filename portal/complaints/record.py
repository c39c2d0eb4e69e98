"""The public record of complaints: the list with its filters, the map's points, and the
reports about one outfall. Public fields only: never the reporter, never the exact place
(rounded to ~100 m), the description and photos only with the reporter's consent.

Newest first in keyset pages on (created_at, id): each filter has an index that starts with
its column and ends with (created_at, id), so any page is an index range scan at 1M rows.
"""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload

from ..agencies.models import Department
from ..core.clock import utcnow
from ..core.codes import is_plausible_code, normalise_code
from ..core.errors import UserError
from ..core.periods import Period, recent_months
from ..extensions import db
from ..geo.models import Region, WaterBody
from ..outfalls.models import Outfall
from .models import Complaint, ComplaintCategory, ComplaintStatus

# Reports the outfall pages count, and how many of them they list.
OUTFALL_WINDOW = timedelta(days=90)
OUTFALL_LATEST = 3
# Points of the map layer per response, newest first.
MAP_MAX_POINTS = 300
# Decimals of a published coordinate: 3 is ~110 m of latitude.
PUBLIC_DECIMALS = 3


@dataclass
class RecordFilters:
    """Validated filters of the public list, codes resolved to ids; None means any."""

    status: str | None = None
    category_id: int | None = None
    region_ids: tuple[int, ...] | None = None
    water_ids: tuple[int, ...] | None = None
    outfall_id: int | None = None
    department_id: int | None = None
    period: Period | None = None


@dataclass
class RecordQuery:
    """The filters as typed (codes, not ids), for links and error messages."""

    status: str = ""
    category: str = ""
    region: str = ""
    water: int | None = None
    outfall: str = ""
    department: int | None = None
    period: str = ""

    def as_args(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v not in (None, "")}


def resolve(query: RecordQuery, period: Period | None) -> RecordFilters:
    """Look up the codes a visitor typed; the first unknown one is refused.

    Raises:
        UserError: an unknown category, region, water body, outfall or department (its field).
    """
    filters = RecordFilters(status=query.status or None, period=period)
    if query.status and query.status not in ComplaintStatus.__members__:
        raise UserError(_("Not a status of a report."), "status")
    if query.category:
        filters.category_id = db.session.scalar(
            select(ComplaintCategory.id).where(ComplaintCategory.code == query.category)
        )
        if filters.category_id is None:
            raise UserError(_("Not a kind of problem reports have."), "category")
    if query.region:
        ids = _with_descendants(Region, Region.code == query.region)
        if not ids:
            raise UserError(_("Unknown region code."), "region")
        filters.region_ids = ids
    if query.water is not None:
        ids = _with_descendants(WaterBody, WaterBody.id == query.water)
        if query.water not in ids:
            raise UserError(_("Not a water body."), "water")
        filters.water_ids = ids
    if query.outfall:
        code = normalise_code(query.outfall)
        filters.outfall_id = (
            db.session.scalar(select(Outfall.id).where(Outfall.code == code))
            if is_plausible_code(code)
            else None
        )
        if filters.outfall_id is None:
            raise UserError(_("No outfall has the code %(code)s.", code=query.outfall), "outfall")
    if query.department is not None:
        if db.session.get(Department, query.department) is None:
            raise UserError(_("Not a department."), "department")
        filters.department_id = query.department
    return filters


# Levels below a region or water body that a filter on it takes in (province → township).
MAX_DEPTH = 8
# Filters on several regions or waters are run as one index scan per value, merged in SQL,
# up to this many; beyond, a plain IN (the database's planner decides).
MAX_BRANCHES = 64


def _with_descendants(model, condition) -> tuple[int, ...]:
    """The ids of the rows matching `condition` and of everything below them."""
    found = set(db.session.scalars(select(model.id).where(condition)))
    frontier = set(found)
    for _level in range(MAX_DEPTH):
        if not frontier:
            break
        frontier = set(db.session.scalars(select(model.id).where(model.parent_id.in_(frontier))))
        frontier -= found
        found |= frontier
    return tuple(sorted(found))


def _where(statement, f: RecordFilters):
    if f.status:
        statement = statement.where(Complaint.status == f.status)
    if f.category_id is not None:
        statement = statement.where(Complaint.category_id == f.category_id)
    if f.region_ids is not None:
        statement = statement.where(Complaint.region_id.in_(f.region_ids))
    if f.water_ids is not None:
        statement = statement.where(Complaint.water_body_id.in_(f.water_ids))
    if f.outfall_id is not None:
        statement = statement.where(Complaint.outfall_id == f.outfall_id)
    if f.department_id is not None:
        statement = statement.where(Complaint.department_id == f.department_id)
    if f.period is not None:
        start, end = f.period.bounds()
        if start is not None:
            statement = statement.where(Complaint.created_at >= start)
        if end is not None:
            statement = statement.where(Complaint.created_at < end)
    return statement


# --- The list ------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_for(complaint: Complaint) -> str:
    """The page cursor after this row: its receipt time in microseconds, then its id."""
    micros = (complaint.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{complaint.id}"


def parse_cursor(text: str) -> tuple[datetime, int]:
    """The (created_at, id) a cursor names.

    Raises:
        UserError: not a cursor this list wrote (field "after").
    """
    try:
        micros_text, id_text = text.split(".")
        micros, last_id = int(micros_text), int(id_text)
        if not (0 <= micros < 10**17 and 0 < last_id < 2**31):
            raise ValueError(text)
        return _EPOCH + timedelta(microseconds=micros), last_id
    except ValueError:
        raise UserError(_("This page link is not valid."), "after") from None


def _newest(statement, f: RecordFilters, cursor: tuple[datetime, int] | None):
    """The filtered statement, newest first, after the cursor's row."""
    statement = _where(statement, f)
    if cursor is not None:
        moment, last_id = cursor
        # The plain range lets the index seek; the OR only breaks ties at its edge.
        statement = statement.where(
            Complaint.created_at <= moment,
            or_(
                Complaint.created_at < moment,
                and_(Complaint.created_at == moment, Complaint.id < last_id),
            ),
        )
    return statement.order_by(Complaint.created_at.desc(), Complaint.id.desc())


def _branches(f: RecordFilters) -> list[RecordFilters]:
    """The filters split into one per (region, water) pair, so each uses its index."""
    regions = f.region_ids if f.region_ids else (None,)
    waters = f.water_ids if f.water_ids else (None,)
    if len(regions) * len(waters) == 1 or len(regions) * len(waters) > MAX_BRANCHES:
        return [f]
    return [
        replace(
            f,
            region_ids=None if r is None else (r,),
            water_ids=None if w is None else (w,),
        )
        for r in regions
        for w in waters
    ]


@dataclass
class RecordPage:
    items: list[Complaint]
    next_after: str | None


def record_page(f: RecordFilters, after: str | None, per_page: int = 25) -> RecordPage:
    """One page of public complaint summaries, newest first (keyset: fast however deep).

    Raises:
        UserError: a malformed page cursor (field "after").
    """
    cursor = parse_cursor(after) if after else None
    newest = (Complaint.created_at.desc(), Complaint.id.desc())
    loads = (
        joinedload(Complaint.category),
        joinedload(Complaint.outfall),
        joinedload(Complaint.department),
    )
    branches = _branches(f)
    if len(branches) == 1:
        rows = db.session.scalars(
            _newest(select(Complaint), f, cursor).options(*loads).limit(per_page + 1)
        ).all()
    else:
        # One index range scan per region or water, each cut at the page size, merged.
        parts = [
            _newest(select(Complaint.id, Complaint.created_at), b, cursor)
            .limit(per_page + 1)
            .subquery()
            for b in branches
        ]
        merged = union_all(*(select(p.c.id, p.c.created_at) for p in parts)).subquery()
        ids = db.session.scalars(
            select(merged.c.id)
            .order_by(merged.c.created_at.desc(), merged.c.id.desc())
            .limit(per_page + 1)
        ).all()
        rows = db.session.scalars(
            select(Complaint).where(Complaint.id.in_(ids)).options(*loads).order_by(*newest)
        ).all()
    next_after = cursor_for(rows[per_page - 1]) if len(rows) > per_page else None
    return RecordPage(list(rows[:per_page]), next_after)


def public_batches(statement, f: RecordFilters, batch: int = 2000):
    """`statement` (public columns over Complaint) for every report passing the list's
    filters, newest first, in keyset batches of rows: the open-data download of the record.
    The statement's last two columns must be Complaint.created_at and Complaint.id."""
    cursor = None
    while True:
        rows = db.session.execute(_newest(statement, f, cursor).limit(batch)).all()
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        cursor = (rows[-1][-2], rows[-1][-1])


# --- The map layer -------------------------------------------------------------------------


# A viewport is read cell by cell (each an index range, newest first, cut at the limit) while
# it spans at most MAX_FINE cells of the 0.1° grid. A wider one is read by its 1° cells that
# hold any report when there are at most MAX_COARSE of them; else reports are everywhere in
# it, and walking the newest and keeping those inside finds enough at once.
MAX_FINE = 48
MAX_COARSE = 12
MAX_COARSE_CHECKED = 400


def _step(degrees: float, per_degree: int) -> int:
    return int(degrees * per_degree // 1)


def _cell_numbers(west, south, east, north, per_degree: int, row_size: int) -> list[int]:
    rows = range(_step(south + 90, per_degree), _step(north + 90, per_degree) + 1)
    cols = range(_step(west + 180, per_degree), _step(east + 180, per_degree) + 1)
    if len(rows) * len(cols) > MAX_COARSE_CHECKED:
        return []
    return [r * row_size + c for r in rows for c in cols]


def _cells(west: float, south: float, east: float, north: float):
    """(column, cell numbers) to read the bbox by, or None to walk the newest reports."""
    fine = _cell_numbers(west, south, east, north, 10, 3600)
    if fine and len(fine) <= MAX_FINE:
        return Complaint.cell_01, fine
    coarse = _cell_numbers(west, south, east, north, 1, 360)
    if not coarse:
        return None
    # One index seek per cell: which of them hold any report at all.
    probes = [select(literal(n)).where(exists().where(Complaint.cell_1 == n)) for n in coarse]
    filled = db.session.scalars(union_all(*probes)).all()
    if len(filled) > MAX_COARSE:
        return None
    return Complaint.cell_1, filled


@dataclass
class MapPoint:
    tracking_no: str
    category: str
    status: str
    channel: str
    lat: float
    lon: float
    received: datetime


def map_points(
    west: float, south: float, east: float, north: float, f: RecordFilters, limit: int
) -> tuple[list[MapPoint], bool]:
    """The newest complaints inside a bbox, at ~100 m; True when more were left out."""
    columns = (
        Complaint.tracking_no,
        ComplaintCategory.code,
        Complaint.status,
        Complaint.channel,
        Complaint.lat,
        Complaint.lon,
        Complaint.created_at,
        Complaint.id,
    )

    def newest(*conditions, lat=Complaint.lat, lon=Complaint.lon):
        return (
            _where(select(*columns), f)
            .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
            .where(lat.between(south, north), lon.between(west, east), *conditions)
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .limit(limit + 1)
        )

    cells = _cells(west, south, east, north)
    if cells is None:
        # A view of a whole country is full of reports: walk the newest and keep those
        # inside ("+ 0" keeps the planner off the lat/lon index, which would read them all).
        statement = newest(lat=Complaint.lat + 0, lon=Complaint.lon + 0)
    else:
        column, numbers = cells
        if not numbers:
            return [], False
        parts = [newest(column == n).subquery() for n in numbers]
        merged = union_all(*(select(*p.c) for p in parts)).subquery()
        statement = (
            select(*merged.c)
            .order_by(merged.c.created_at.desc(), merged.c.id.desc())
            .limit(limit + 1)
        )
    rows = db.session.execute(statement).all()
    points = [
        MapPoint(
            number,
            category,
            ComplaintStatus(status).value,
            channel,
            round(lat, PUBLIC_DECIMALS),
            round(lon, PUBLIC_DECIMALS),
            created,
        )
        for number, category, status, channel, lat, lon, created, _id in rows[:limit]
    ]
    return points, len(rows) > limit


# --- Reports about one outfall -------------------------------------------------------------


@dataclass
class OutfallReports:
    """The last 90 days of reports at an outfall: how many, how many still open, the latest."""

    total: int
    open: int
    latest: list  # rows: tracking_no, status, created_at, category name, category name_en
    since: datetime


def outfall_reports(outfall_id: int, now: datetime) -> OutfallReports:
    """Counts and the latest reports of the last 90 days, in one query (the QR page's budget
    is three): the counts are window aggregates over the same rows the LIMIT cuts."""
    since = now - OUTFALL_WINDOW
    rows = db.session.execute(
        select(
            Complaint.tracking_no,
            Complaint.status,
            Complaint.created_at,
            ComplaintCategory.name,
            ComplaintCategory.name_en,
            func.count().over().label("total"),
            func.sum(case((Complaint.is_open.is_(True), 1), else_=0)).over().label("open"),
        )
        .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
        .where(Complaint.outfall_id == outfall_id, Complaint.created_at >= since)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        .limit(OUTFALL_LATEST)
    ).all()
    total = rows[0].total if rows else 0
    open_count = int(rows[0].open or 0) if rows else 0
    return OutfallReports(total, open_count, list(rows), since)


def init_app(app) -> None:
    """Templates of other domains (the outfall pages) ask `outfall_reports(outfall)`."""
    app.jinja_env.globals["outfall_reports"] = lambda outfall: outfall_reports(outfall.id, utcnow())


# --- Period choices the public pages offer -----------------------------------------------


def month_label(key: str) -> str:
    """ "2026-05" as the reader's language writes a month (2026年5月, May 2026)."""
    from babel.dates import format_skeleton
    from flask_babel import get_locale

    year, month = key.split("-")
    return format_skeleton("yMMM", date(int(year), int(month), 1), locale=get_locale() or "zh")


def period_options(today: date, *, days: bool, all_time: bool, months: int = 12) -> list:
    """(key, label) of the periods a page offers: recent spans, years, recent months."""
    options = []
    if all_time:
        options.append(("", _("All time")))
    if days:
        options += [("30d", _("Last 30 days")), ("90d", _("Last 90 days"))]
    options.append(("12m", _("Last 12 months")))
    options += [(str(y), str(y)) for y in range(today.year, today.year - 3, -1)]
    options += [(key, month_label(key)) for key in recent_months(today, months)]
    return options


def period_error() -> str:
    """The message for a period key no page offers."""
    return _("Choose one of the periods offered.")
