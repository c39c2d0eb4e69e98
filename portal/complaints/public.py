"""What the public does with reports: see open ones nearby, say "this affects me too"."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..core.clock import local_date
from ..core.geo import box_around, distance_m
from ..extensions import db
from .events import append_event
from .models import OPEN_STATUSES, ActorKind, Complaint, EventKind, Support
from .tokens import salted


@dataclass
class Nearby:
    complaint: Complaint
    distance_m: float | None


def nearby_open(
    lat: float | None,
    lon: float | None,
    outfall_id: int | None,
    now: datetime,
    *,
    radius_m: float = 200,
    days: int = 30,
    limit: int = 10,
) -> list[Nearby]:
    """Open complaints of the last `days` at the same outfall or within `radius_m`."""
    since = now - timedelta(days=days)
    conditions = []
    if lat is not None and lon is not None:
        south, north, west, east = box_around(lat, lon, radius_m)
        # A bounding box the lat/lon index can answer; the exact circle is checked below.
        conditions.append(Complaint.lat.between(south, north) & Complaint.lon.between(west, east))
    if outfall_id is not None:
        conditions.append(Complaint.outfall_id == outfall_id)
    if not conditions:
        return []
    where = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    rows = db.session.scalars(
        select(Complaint)
        .where(where, Complaint.created_at >= since, Complaint.status.in_(list(OPEN_STATUSES)))
        .options(joinedload(Complaint.category), joinedload(Complaint.outfall))
        .order_by(Complaint.created_at.desc())
        .limit(200)
    ).all()
    found = []
    for c in rows:
        d = distance_m(lat, lon, c.lat, c.lon) if lat is not None and c.lat is not None else None
        if (outfall_id is not None and c.outfall_id == outfall_id) or (
            d is not None and d <= radius_m
        ):
            found.append(Nearby(c, d))
    found.sort(key=lambda n: (n.distance_m is None, n.distance_m or 0))
    return found[:limit]


def add_support(
    complaint: Complaint, browser_id: str, address: str, now: datetime, secret: str
) -> bool:
    """Count one "this affects me too" per browser session and per address per case per
    day; False if either was already counted."""
    browser = salted(f"browser|{browser_id}", secret)
    address_day = salted(f"address|{address}|{local_date(now).isoformat()}", secret)
    exists = db.session.scalar(
        select(func.count())
        .select_from(Support)
        .where(
            Support.complaint_id == complaint.id,
            or_(Support.fingerprint == browser, Support.address_day == address_day),
        )
    )
    if exists or not complaint.is_open:
        return False
    db.session.add(
        Support(
            complaint_id=complaint.id, fingerprint=browser, address_day=address_day, created_at=now
        )
    )
    complaint.supporters = (complaint.supporters or 0) + 1
    append_event(complaint, EventKind.supported, now, actor_kind=ActorKind.system, public=True)
    return True
