"""The public record of complaints: the list with its filters, the map's points, and the
reports about one outfall. Public fields only: never the reporter, never the exact place
(rounded to ~100 m), the description and photos only with the reporter's consent.

Newest first in keyset pages on (created_at, id): each filter has an index that starts with
its column and ends with (created_at, id), so any page is an index range scan at 1M rows.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
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
        ids = db.session.scalars(
            select(Region.id).where(
                (Region.code == query.region)
                | Region.parent_id.in_(select(Region.id).where(Region.code == query.region))
            )
        ).all()
        if not ids:
            raise UserError(_("Unknown region code."), "region")
        filters.region_ids = tuple(ids)
    if query.water is not None:
        ids = db.session.scalars(
            select(WaterBody.id).where(
                (WaterBody.id == query.water) | (WaterBody.parent_id == query.water)
            )
        ).all()
        if query.water not in ids:
            raise UserError(_("Not a water body."), "water")
        filters.water_ids = tuple(ids)
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


@dataclass
class RecordPage:
    items: list[Complaint]
    next_after: str | None


def record_page(f: RecordFilters, after: str | None, per_page: int = 25) -> RecordPage:
    """One page of public complaint summaries, newest first (keyset: fast however deep).

    Raises:
        UserError: a malformed page cursor (field "after").
    """
    statement = _where(select(Complaint), f)
    if after:
        moment, last_id = parse_cursor(after)
        statement = statement.where(
            or_(
                Complaint.created_at < moment,
                and_(Complaint.created_at == moment, Complaint.id < last_id),
            )
        )
    rows = db.session.scalars(
        statement.options(
            joinedload(Complaint.category),
            joinedload(Complaint.outfall),
            joinedload(Complaint.department),
        )
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        .limit(per_page + 1)
    ).all()
    next_after = cursor_for(rows[per_page - 1]) if len(rows) > per_page else None
    return RecordPage(list(rows[:per_page]), next_after)


# --- The map layer -------------------------------------------------------------------------


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
    rows = db.session.execute(
        _where(
            select(
                Complaint.tracking_no,
                ComplaintCategory.code,
                Complaint.status,
                Complaint.channel,
                Complaint.lat,
                Complaint.lon,
                Complaint.created_at,
            ).join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id),
            f,
        )
        .where(Complaint.lat.between(south, north), Complaint.lon.between(west, east))
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        .limit(limit + 1)
    ).all()
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
        for number, category, status, channel, lat, lon, created in rows[:limit]
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
