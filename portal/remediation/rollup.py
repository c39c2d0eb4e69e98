"""The progress rollup (remediation_progress, remediation_progress_months), kept as plans change.

/progress reads a few hundred rollup rows instead of grouping every outfall. Whenever a flush
touches an outfall or a plan, the regions it was in before and is in now are noted; just before
the commit those regions are recomputed from the outfalls themselves (exact by construction,
as queue.rollup does for the departments). `rebuild` redoes everything (after a bulk load or
an upgrade: `flask portal remediation rollup`), and the tick rebuilds as a safety net.
"""

from collections import Counter
from collections.abc import Collection, Iterator
from datetime import date

from sqlalchemy import case, delete, event, func, inspect, select, type_coerce

from ..core.bulk import REGIONS, deferring
from ..core.clock import local_date
from ..dbtypes import UTCDateTime
from ..extensions import db
from ..outfalls.models import (
    NO_PLAN,
    STAGE_OF_STATUS,
    Outfall,
    RemediationEvent,
    RemediationPlan,
    RemediationStatus,
)
from .models import ProgressCell, ProgressMonth
from .progress import Dated, counted_monthly

KEYS = REGIONS  # shared with Core bulk writers (core.bulk.note_regions)
OUTFALLS = "remediation_progress.outfalls"
PLANS = "remediation_progress.plans"


def dated_rows(region_ids: Collection[int] | None = None) -> Iterator[tuple]:
    """(region, water, type, kind, stage, Dated, n): the outfalls (of these regions) counted
    by what the rollup tells apart, grouped by the database (an import's thousands of
    outfalls of one day are one row)."""
    retained = (
        select(RemediationEvent.plan_id, func.max(RemediationEvent.occurred_on).label("on"))
        .where(RemediationEvent.status == RemediationStatus.retained)
        .group_by(RemediationEvent.plan_id)
        .subquery()
    )
    # The day an outfall was identified: its plan's, else the day it was created (only
    # then is its creation moment a key of the grouping).
    created = case((RemediationPlan.identified_on.is_(None), Outfall.created_at), else_=None)
    keys = (
        Outfall.region_id,
        Outfall.water_body_id,
        Outfall.category_l1,
        Outfall.water_kind,
        type_coerce(created, UTCDateTime()),
        RemediationPlan.status,
        RemediationPlan.identified_on,
        RemediationPlan.signed_off_on,
        retained.c.on,
    )
    query = (
        select(*keys, func.count())
        .select_from(Outfall)
        .outerjoin(RemediationPlan, RemediationPlan.outfall_id == Outfall.id)
        .outerjoin(retained, retained.c.plan_id == RemediationPlan.id)
        .group_by(*keys)
    )
    if region_ids is not None:
        query = query.where(Outfall.region_id.in_(list(region_ids)))
    for row in db.session.execute(query.execution_options(yield_per=5000)):
        region, water, l1, kind, created_at, status, identified, signed, kept, n = row
        stage = STAGE_OF_STATUS[status] if status is not None else NO_PLAN
        when = identified or local_date(created_at)
        yield (
            region,
            water,
            l1,
            kind,
            stage,
            Dated(
                when,
                signed if stage == "signed_off" else None,
                (kept or when) if stage == "retained" else None,
            ),
            n,
        )


def refresh(region_ids: Collection[int] | None = None) -> int:
    """Recompute the rollup of these regions (None: all); returns the rows written."""
    cells: Counter = Counter()
    dated_by_region: dict[int, list[tuple[Dated, int]]] = {}
    for region, water, l1, kind, stage, dated, n in dated_rows(region_ids):
        cells[(region, water, l1, kind, stage)] += n
        dated_by_region.setdefault(region, []).append((dated, n))
    for table in (ProgressCell, ProgressMonth):
        statement = delete(table)
        if region_ids is not None:
            statement = statement.where(table.region_id.in_(list(region_ids)))
        db.session.execute(statement)
    rows = [
        dict(region_id=r, water_body_id=w, category_l1=t, water_kind=k, stage=s, n=n)
        for (r, w, t, k, s), n in cells.items()
    ]
    months = [
        dict(region_id=region, month=m, identified=i, signed_off=s, retained=k)
        for region, dated in dated_by_region.items()
        for m, (i, s, k) in counted_monthly(dated).items()
    ]
    if rows:
        db.session.execute(ProgressCell.__table__.insert(), rows)
    if months:
        db.session.execute(ProgressMonth.__table__.insert(), months)
    return len(rows) + len(months)


def rebuild() -> int:
    return refresh(None)


def read_cells() -> list[ProgressCell]:
    return list(db.session.scalars(select(ProgressCell)))


def read_months(region_ids: Collection[int] | None = None) -> dict[date, tuple[int, int, int]]:
    """Monthly (identified, signed off, retained) summed over these regions (None: all)."""
    query = select(
        ProgressMonth.month,
        func.sum(ProgressMonth.identified),
        func.sum(ProgressMonth.signed_off),
        func.sum(ProgressMonth.retained),
    ).group_by(ProgressMonth.month)
    if region_ids is not None:
        query = query.where(ProgressMonth.region_id.in_(list(region_ids)))
    return {m: (int(i or 0), int(s or 0), int(r or 0)) for m, i, s, r in db.session.execute(query)}


# --- Keeping it current: session events --------------------------------------------------


# What the rollup counts of an outfall and of its plan (dated_rows): a change to anything
# else (address, name, entities ...) leaves it as it was, so costs it nothing.
OUTFALL_ATTRS = ("region_id", "water_body_id", "category_l1", "water_kind", "created_at")
PLAN_ATTRS = ("outfall_id", "status", "identified_on", "signed_off_on")


def _changed(obj, attrs: tuple[str, ...]) -> bool:
    """New or deleted, or one of `attrs` changed in this flush."""
    state = inspect(obj)
    if state.pending or state.deleted or obj in state.session.new:
        return True
    return any(state.attrs[a].history.has_changes() for a in attrs)


def _after_flush(session, _context) -> None:
    regions = session.info.setdefault(KEYS, set())
    outfalls = session.info.setdefault(OUTFALLS, set())
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, Outfall):
            regions.add(obj.region_id)
        elif isinstance(obj, RemediationPlan):
            outfalls.add(obj.outfall_id)
        elif isinstance(obj, RemediationEvent) and obj.status is RemediationStatus.retained:
            session.info.setdefault(PLANS, set()).add(obj.plan_id)
    for obj in session.dirty:
        if isinstance(obj, Outfall) and _changed(obj, OUTFALL_ATTRS):
            regions.add(obj.region_id)
            regions |= set(inspect(obj).attrs.region_id.history.deleted)
        elif isinstance(obj, RemediationPlan) and _changed(obj, PLAN_ATTRS):
            outfalls.add(obj.outfall_id)
            outfalls |= set(inspect(obj).attrs.outfall_id.history.deleted)
        elif isinstance(obj, RemediationEvent) and obj.status is RemediationStatus.retained:
            session.info.setdefault(PLANS, set()).add(obj.plan_id)
    regions.discard(None)


def _before_commit(session) -> None:
    if not any(session.info.get(k) for k in (KEYS, OUTFALLS, PLANS)) and not (
        session.new or session.dirty
    ):
        return
    session.flush()
    if deferring(session):
        return  # a bulk write: the notes wait for the commit after it
    regions = session.info.pop(KEYS, set())
    outfalls = {o for o in session.info.pop(OUTFALLS, set()) if o is not None}
    plans = {p for p in session.info.pop(PLANS, set()) if p is not None}
    if plans:
        outfalls |= set(
            session.scalars(
                select(RemediationPlan.outfall_id).where(RemediationPlan.id.in_(list(plans)))
            )
        )
    if outfalls:
        regions |= set(
            session.scalars(select(Outfall.region_id).where(Outfall.id.in_(list(outfalls))))
        )
    if regions:
        refresh(regions)


def _forget(session, *_args) -> None:
    session.info.pop(KEYS, None)
    session.info.pop(OUTFALLS, None)
    session.info.pop(PLANS, None)


_connected = False


def init_app(app) -> None:
    """Listen on the app's scoped session once per process."""
    global _connected
    if _connected:
        return
    event.listen(db.session, "after_flush", _after_flush)
    event.listen(db.session, "before_commit", _before_commit)
    event.listen(db.session, "after_soft_rollback", _forget)
    event.listen(db.session, "after_rollback", _forget)
    _connected = True
