"""What /progress shows, from the rollup (a few hundred rows whatever the registry's size)."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..geo.models import Region, WaterBody
from ..outfalls.models import RemediationPlan, RemediationStatus
from .models import RemediationTarget
from .progress import CurvePoint, TargetResult, curve, half_year_ends, judge, tally_by_month
from .rollup import read_cells, read_months

DIMENSIONS = ("region", "water", "type", "kind")


@dataclass
class Row:
    """One row of the matrix: a region, water body, type or kind, and its stage counts."""

    key: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, stage: str) -> float:
        return self.counts.get(stage, 0) / self.total if self.total else 0.0


@dataclass
class Progress:
    by: str
    rows: list[Row]
    total: Row
    targets: list[tuple[RemediationTarget, TargetResult]]
    points: list[CurvePoint]
    half_years: list[tuple[date, object]]


def matrix(by: str, labels: dict) -> tuple[list[Row], Row]:
    rows: dict[str, Row] = {}
    total = Row("", "")
    names = {}
    if by == "region":
        names = {r.id: (r.code, r.name) for r in db.session.scalars(select(Region))}
    elif by == "water":
        names = {w.id: (str(w.id), w.name) for w in db.session.scalars(select(WaterBody))}
    for cell in read_cells():
        if by == "region":
            key, label = names[cell.region_id]
        elif by == "water":
            key, label = names[cell.water_body_id]
        elif by == "type":
            key, label = cell.category_l1.value, str(labels["type"][cell.category_l1.value])
        else:
            key, label = cell.water_kind.value, str(labels["kind"][cell.water_kind.value])
        row = rows.setdefault(key, Row(key, label))
        row.counts[cell.stage] = row.counts.get(cell.stage, 0) + cell.n
        total.counts[cell.stage] = total.counts.get(cell.stage, 0) + cell.n
    return sorted(rows.values(), key=lambda r: r.key), total


def progress(by: str, labels: dict, today: date) -> Progress:
    rows, total = matrix(by, labels)
    months_all = read_months()
    targets = []
    for target in db.session.scalars(
        select(RemediationTarget).order_by(RemediationTarget.due_on, RemediationTarget.id)
    ):
        months = months_all
        if target.region_id is not None:
            scope = [target.region_id] + list(
                db.session.scalars(select(Region.id).where(Region.parent_id == target.region_id))
            )
            months = read_months(scope)
        targets.append((target, judge(target.due_on, target.percent, months, today)))
    halves = [(d, tally_by_month(months_all, d)) for d in half_year_ends(today)]
    return Progress(by, rows, total, targets, curve(months_all, today), halves)


def overdue_plans(today: date, limit: int = 500) -> list[RemediationPlan]:
    """Plans past their deadline and not signed off (or retained), most overdue first."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(RemediationPlan)
            .where(
                RemediationPlan.status.not_in(
                    [RemediationStatus.closed, RemediationStatus.retained]
                ),
                RemediationPlan.deadline < today,
            )
            .options(joinedload(RemediationPlan.outfall))
            .order_by(RemediationPlan.deadline, RemediationPlan.id)
            .limit(limit)
        )
    )


def transitions_ending(today: date, days: int, limit: int = 500) -> list[RemediationPlan]:
    """Plans whose transition period (过渡期) ends within `days`, soonest first."""
    from datetime import timedelta

    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(RemediationPlan)
            .where(
                RemediationPlan.transition_until >= today,
                RemediationPlan.transition_until <= today + timedelta(days=days),
                RemediationPlan.status.not_in(
                    [RemediationStatus.closed, RemediationStatus.retained]
                ),
            )
            .options(joinedload(RemediationPlan.outfall))
            .order_by(RemediationPlan.transition_until, RemediationPlan.id)
            .limit(limit)
        )
    )


def dry_weather_flows(limit: int = 500) -> list[tuple]:
    """Stormwater outfalls with a dry-weather flow recorded: (outfall, last such sample)."""
    from sqlalchemy import func

    from ..outfalls.models import (
        STORMWATER_L2,
        CategoryL1,
        MonitoringRecord,
        Outfall,
        Weather,
    )

    last = (
        select(MonitoringRecord.outfall_id, func.max(MonitoringRecord.sampled_at).label("at"))
        .where(MonitoringRecord.weather == Weather.dry, MonitoringRecord.flow_m3s > 0)
        .group_by(MonitoringRecord.outfall_id)
        .subquery()
    )
    return list(
        db.session.execute(
            select(Outfall, last.c.at)
            .join(last, last.c.outfall_id == Outfall.id)
            .where(
                (Outfall.category_l1 == CategoryL1.YH)
                | Outfall.category_l2.in_(list(STORMWATER_L2))
            )
            .order_by(last.c.at.desc())
            .limit(limit)
        ).all()
    )
