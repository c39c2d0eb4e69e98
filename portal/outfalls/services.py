"""Read-side services of the public registry: lookups, lists, figures."""

from dataclasses import dataclass, field
from datetime import date
from math import ceil

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, with_expression

from ..core.clock import LOCAL_TZ, local_today
from ..core.codes import is_plausible_code, normalise_code
from ..core.paging import Paging
from ..extensions import db
from ..geo.models import Region, WaterBody
from . import legal
from .models import (
    DONE_REMEDIATION,
    NO_PLAN,
    PROGRESS_STAGES,
    Approval,
    LedgerEntry,
    MonitoringRecord,
    Outfall,
    OutfallResponsibility,
    RemediationPlan,
    RemediationStatus,
)
from .standards import Exceedance, Standard, applicable_standard, exceedances


def _last_changed():
    """When the outfall's public record last changed: its newest history entry (an index
    seek), else its row's own time (outfalls loaded before the history existed)."""
    newest = (
        select(LedgerEntry.created_at)
        .where(LedgerEntry.outfall_id == Outfall.id)
        .order_by(LedgerEntry.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(newest, Outfall.updated_at)


def _landing_query():
    """An outfall with everything its QR page shows that is one row per outfall."""
    return select(Outfall).options(
        with_expression(Outfall.last_changed_at, _last_changed()),
        joinedload(Outfall.region),
        joinedload(Outfall.water_body),
        joinedload(Outfall.supervising_department),
        joinedload(Outfall.management_entity),
        joinedload(Outfall.merged_into),
        _plan_with_steps(),
        joinedload(Outfall.responsible_links).joinedload(OutfallResponsibility.entity),
        joinedload(Outfall.approvals),
    )


def _plan_with_steps():
    """The plan, its sign-off steps and their documents, joined (the steps' model lives in
    portal/remediation: reached through the relationship, not imported)."""
    steps = RemediationPlan.signoff_steps
    return (
        joinedload(Outfall.remediation_plan)
        .joinedload(steps)
        .joinedload(steps.property.mapper.class_.documents)
    )


def find_outfall(code: str) -> Outfall | None:
    """The outfall with this (already normalised) code, with its one-to-one data."""
    if not is_plausible_code(code):
        return None
    return db.session.scalars(_landing_query().where(Outfall.code == code)).unique().first()


def outfall_standard(outfall: Outfall, on: date | None = None) -> Standard:
    """The limits that applied on a date (default: today): the approval in force that day,
    else (none, or it had expired or been revoked) the outfall's national standard."""
    approval = legal.approval_in_force(outfall.approvals, on or local_today())
    return applicable_standard(
        outfall.standard_code,
        outfall.category_l1.value,
        approval.limits if approval else None,
        stormwater=outfall.is_stormwater,
    )


@dataclass
class Sample:
    """A monitoring record with the limits it breaks."""

    record: MonitoringRecord
    exceedances: list[Exceedance]

    @property
    def exceeded(self) -> set[str]:
        return {e.indicator for e in self.exceedances}


def evaluate(outfall: Outfall, records: list[MonitoringRecord]) -> list[Sample]:
    """Flag each record against the limits that applied when it was sampled."""
    return [
        Sample(
            r,
            exceedances(
                {
                    "ph": r.ph,
                    "cod": r.cod,
                    "nh3n": r.nh3n,
                    "tn": r.tn,
                    "tp": r.tp,
                    "flow_m3s": r.flow_m3s,
                },
                outfall_standard(outfall, r.sampled_at.astimezone(LOCAL_TZ).date()),
                stormwater=outfall.is_stormwater,
                weather=r.weather.value if r.weather else None,
                temperature_c=r.temperature_c,
            ),
        )
        for r in records
    ]


def latest_records(outfall_id: int, limit: int) -> list[MonitoringRecord]:
    """An outfall's most recent monitoring records, newest first."""
    return list(
        db.session.scalars(
            select(MonitoringRecord)
            .where(
                MonitoringRecord.outfall_id == outfall_id,
                MonitoringRecord.superseded.is_(False),  # a correction stands in for it
            )
            .order_by(MonitoringRecord.sampled_at.desc())
            .limit(limit)
        )
    )


def merged_source(code: str, target: Outfall) -> Outfall | None:
    """The outfall `code` if it really was merged into `target` (for the notice)."""
    code = normalise_code(code)
    if not is_plausible_code(code):
        return None
    source = db.session.scalars(select(Outfall).where(Outfall.code == code)).first()
    return source if source is not None and source.merged_into_id == target.id else None


def outfall_detail(code: str) -> Outfall | None:
    """An outfall with every public collection loaded for its full page."""
    if not is_plausible_code(code):
        return None
    query = _landing_query().options(
        joinedload(Outfall.approvals).selectinload(Approval.documents),
        joinedload(Outfall.remediation_plan).selectinload(RemediationPlan.milestones),
        joinedload(Outfall.remediation_plan).selectinload(RemediationPlan.events),
        joinedload(Outfall.remediation_plan).joinedload(RemediationPlan.merge_target),
    )
    return db.session.scalars(query.where(Outfall.code == code)).unique().first()


# --- Lists -------------------------------------------------------------------------


@dataclass
class OutfallFilters:
    """Validated list filters; None means "any"."""

    region: str | None = None
    water: int | None = None
    type: str | None = None
    kind: str | None = None
    remediation: str | None = None
    status: str | None = None
    legal: str | None = None
    stage: str | None = None  # a progress stage (models.STAGES), as /progress links

    def as_args(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v is not None}


@dataclass
class Page(Paging):
    """One page of results and where it sits among all pages."""

    items: list
    page: int
    per_page: int
    total: int
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def filtered(query, filters: OutfallFilters, *, by_code: bool = False):
    """query narrowed to the outfalls passing the filters (any select over Outfall).

    `by_code`: the query reads a page in code order. Membership in the plans' sets is then
    tested on `id + 0`, so SQLite walks the code index and probes the set until the page
    is full, instead of fetching every member by id and sorting them all (a 100k registry:
    2 ms instead of 20 ms); a count or a whole read is better the other way round.
    """
    member = (Outfall.id + 0) if by_code else Outfall.id
    if filters.region:
        region_ids = select(Region.id).where(
            (Region.code == filters.region)
            | Region.parent_id.in_(select(Region.id).where(Region.code == filters.region))
        )
        query = query.where(Outfall.region_id.in_(region_ids))
    if filters.water is not None:
        water_ids = select(WaterBody.id).where(
            (WaterBody.id == filters.water) | (WaterBody.parent_id == filters.water)
        )
        query = query.where(Outfall.water_body_id.in_(water_ids))
    if filters.type:
        query = query.where(Outfall.category_l1 == filters.type)
    if filters.kind:
        query = query.where(Outfall.water_kind == filters.kind)
    if filters.status:
        query = query.where(Outfall.status == filters.status)
    if filters.legal:
        # The legal status is computed for today (China time), as the pages show it.
        query = query.where(legal.legal_clause(filters.legal, local_today(), member=member))
    if filters.remediation:
        query = query.where(
            member.in_(
                select(RemediationPlan.outfall_id).where(
                    RemediationPlan.status == filters.remediation
                )
            )
        )
    if filters.stage == NO_PLAN:
        query = query.where(member.not_in(select(RemediationPlan.outfall_id)))
    elif filters.stage in PROGRESS_STAGES:
        query = query.where(
            member.in_(
                select(RemediationPlan.outfall_id).where(
                    RemediationPlan.status.in_(list(PROGRESS_STAGES[filters.stage]))
                )
            )
        )
    return query


def list_outfalls(filters: OutfallFilters, page: int, per_page: int) -> Page:
    """A page of outfalls matching the filters, ordered by code."""
    base = filtered(select(Outfall.id), filters)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    ids = (
        filtered(select(Outfall.id), filters, by_code=True)
        .order_by(Outfall.code)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = db.session.scalars(
        select(Outfall)
        .where(Outfall.id.in_(ids))
        .options(
            joinedload(Outfall.region),
            joinedload(Outfall.water_body),
            joinedload(Outfall.remediation_plan),
        )
        .order_by(Outfall.code)
    ).all()
    statuses = legal.statuses_for(rows, local_today())
    return Page(list(rows), page, per_page, total or 0, extra={"legal": statuses})


def filter_choices() -> tuple[list[Region], list[WaterBody]]:
    """Regions (city and below) and water bodies offered as list filters."""
    regions = db.session.scalars(
        select(Region).where(Region.parent_id.is_not(None)).order_by(Region.code)
    ).all()
    waters = db.session.scalars(select(WaterBody).order_by(WaterBody.kind, WaterBody.name)).all()
    return list(regions), list(waters)


# --- Figures -----------------------------------------------------------------------


@dataclass
class Headline:
    """The home page's headline figures."""

    total: int
    demo: int
    by_type: dict[str, int]
    by_kind: dict[str, int]
    plans: int
    plans_done: int
    approvals: int
    late: int

    signed_off: int = 0
    retained: int = 0

    @property
    def share_done(self) -> float:
        """Signed off (销号) as a share of every identified outfall: the plans' measure.

        Retained outfalls (保留) are kept, not remediated: counted apart, never as done.
        """
        return self.signed_off / self.total if self.total else 0.0


def headline_figures(today: date) -> Headline:
    """Counts by type and kind, remediation progress and approvals published."""
    by_type: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    total = demo = 0
    rows = db.session.execute(
        select(
            Outfall.category_l1,
            Outfall.water_kind,
            func.count(),
            func.sum(case((Outfall.is_demo, 1), else_=0)),
        ).group_by(Outfall.category_l1, Outfall.water_kind)
    )
    for l1, kind, count, demo_count in rows:
        by_type[l1.value] = by_type.get(l1.value, 0) + count
        by_kind[kind.value] = by_kind.get(kind.value, 0) + count
        total += count
        demo += demo_count or 0
    plans, done, late = db.session.execute(
        select(
            func.count(),
            func.sum(case((RemediationPlan.status.in_(list(DONE_REMEDIATION)), 1), else_=0)),
            func.sum(
                case(
                    (
                        RemediationPlan.status.not_in(list(DONE_REMEDIATION))
                        & (RemediationPlan.deadline < today),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
    ).one()
    approvals = db.session.scalar(select(func.count()).select_from(Approval)) or 0
    by_status = dict(
        db.session.execute(
            select(RemediationPlan.status, func.count())
            .where(
                RemediationPlan.status.in_([RemediationStatus.closed, RemediationStatus.retained])
            )
            .group_by(RemediationPlan.status)
        ).all()
    )
    return Headline(
        total,
        demo,
        by_type,
        by_kind,
        plans,
        done or 0,
        approvals,
        late or 0,
        signed_off=by_status.get(RemediationStatus.closed, 0),
        retained=by_status.get(RemediationStatus.retained, 0),
    )


@dataclass
class WaterBodySummary:
    """A water body's outfalls counted by type and status, with the first few of each type."""

    water: WaterBody
    groups: dict[str, list[Outfall]]
    counts: dict[tuple[str, str], int]
    demo: bool

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def type_total(self, l1: str) -> int:
        return sum(n for (t, _status), n in self.counts.items() if t == l1)


def water_body_summary(water_id: int, per_type: int = 20) -> WaterBodySummary | None:
    """Everything the water body page shows, in three queries whatever its size."""
    water = db.session.get(WaterBody, water_id, options=[joinedload(WaterBody.parent)])
    if water is None:
        return None
    scope = OutfallFilters(water=water_id)
    counts: dict[tuple[str, str], int] = {}
    for l1, status, n in db.session.execute(
        filtered(select(Outfall.category_l1, Outfall.status, func.count()), scope).group_by(
            Outfall.category_l1, Outfall.status
        )
    ):
        counts[(l1.value, status.value)] = n
    # The first few outfalls of each type (in service first), not thousands of them.
    ranked = filtered(
        select(
            Outfall.id,
            func.row_number()
            .over(partition_by=Outfall.category_l1, order_by=(Outfall.status, Outfall.code))
            .label("rank"),
        ),
        scope,
    ).subquery()
    outfalls = db.session.scalars(
        select(Outfall)
        .where(Outfall.id.in_(select(ranked.c.id).where(ranked.c.rank <= per_type)))
        .options(joinedload(Outfall.remediation_plan), joinedload(Outfall.region))
        .order_by(Outfall.category_l1, Outfall.status, Outfall.code)
    ).all()
    groups: dict[str, list[Outfall]] = {}
    for outfall in outfalls:
        groups.setdefault(outfall.category_l1.value, []).append(outfall)
    return WaterBodySummary(water, groups, counts, any(o.is_demo for o in outfalls))


# --- Signboards --------------------------------------------------------------------


def signboard_content(outfall: Outfall, url: str, hotline: str):
    """What a signboard shows, in the current locale (callers force Chinese)."""
    from flask_babel import gettext as _

    from . import labels
    from .signboard import SignboardContent

    entity = outfall.primary_entity
    dept = outfall.supervising_department
    type_label = (
        labels.CATEGORY_L2[outfall.category_l2.value]
        if outfall.category_l2
        else labels.CATEGORY_L1[outfall.category_l1.value]
    )
    rows = (
        (_("Outfall type"), str(type_label)),
        (_("Receiving water"), outfall.water_body.name),
        (_("Responsible entity"), entity.name if entity else _("Being traced")),
        (_("Supervising department"), dept.name if dept else ""),
        (_("Supervision hotline"), hotline),
    )
    title = _("Sea outfall") if outfall.water_kind.value == "sea" else _("River outfall")
    return SignboardContent(
        title=title,
        name=outfall.name,
        code=outfall.code,
        rows=rows,
        url=url,
        footer=_("Scan for this outfall's information and monitoring, or to report a problem"),
    )
