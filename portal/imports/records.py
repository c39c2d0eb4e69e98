"""The decision (审批（登记、备案）文号, 审批日期) and the 一口一策 plan (整治类型, 整治时限,
整治状态) a sheet row names: judged by the approvals' and plans' own rules
(`approvals.check_input`, `plans.plan_rules`) and written by their batch services
(`approvals.create_approvals`, `plans.create_plans`, `plans.write_plan`).

What an import may do, and what it leaves to the pages that ask for a reason and a document:
- a decision: published when the outfall has no current decision with that number; the
  same number again is unchanged; a different number while a decision is current is refused
  (correcting or superseding a decision is done on its page). A blank cell changes nothing.
- a plan: created when the outfall has none (deadline from 整治时限, else the earliest
  remediation target still to come); its category changed when it differs. 清理合并 needs the
  outfall it merges into, which the sheet cannot name: refused, as the plan form refuses it.
- a status is never written (it moves by the sign-off steps); one that differs from the
  portal's is noted on the row.
"""

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from ..agencies.models import Department
from ..core.errors import UserError
from ..extensions import db
from ..outfalls import approvals as approval_service
from ..outfalls import legal
from ..outfalls.history import record_many
from ..outfalls.labels import REMEDIATION_CATEGORY, REMEDIATION_STATUS
from ..outfalls.models import (
    Approval,
    ApprovalState,
    CategoryL1,
    CategoryL2,
    Outfall,
    RemediationCategory,
    RemediationPlan,
    RemediationStatus,
    WaterKind,
)
from ..remediation import plans as plan_service
from ..remediation.models import RemediationTarget
from .normalise import Note
from .rows import RowResult

# The services' field names → the sheet's columns.
FIELDS = {
    "kind": "approval_no",
    "decision_no": "approval_no",
    "authority": "approval_authority",
    "decided_on": "approval_date",
    "category": "remediation_category",
    "merge_target": "remediation_category",
    "deadline": "remediation_deadline",
}


@dataclass
class FileContext:
    """What the rules ask beyond the outfall, loaded once per file."""

    authority: str  # the coordinating department: who decides when the sheet does not say
    targets: list[tuple[date, int | None]]  # remediation targets (due date, region or all)
    labels: dict[str, str] = field(default_factory=dict)  # categories and statuses, translated

    def label(self, value: str) -> str:
        if value not in self.labels:
            self.labels[value] = str(REMEDIATION_CATEGORY.get(value) or REMEDIATION_STATUS[value])
        return self.labels[value]

    @classmethod
    def load(cls) -> "FileContext":
        name = db.session.scalar(
            select(Department.name).where(Department.is_coordinator.is_(True)).limit(1)
        )
        query = select(RemediationTarget.due_on, RemediationTarget.region_id)
        targets = [(due, region) for due, region in db.session.execute(query.order_by("due_on"))]
        return cls(name or "", targets)

    def default_deadline(self, region_id: int | None, today: date) -> date | None:
        for due, region in self.targets:
            if due >= today and region in (None, region_id):
                return due
        return None


class Decision(NamedTuple):
    decision_no: str
    decided_on: date


class PlanState(NamedTuple):
    category: RemediationCategory
    status: RemediationStatus
    deadline: date | None


@dataclass
class BatchRecords:
    """The current decisions and the plans of a batch's outfalls, loaded in two queries
    (columns only: a row that changes a plan loads that plan when it writes)."""

    decisions: dict[int, list[Decision]] = field(default_factory=dict)
    plans: dict[int, PlanState] = field(default_factory=dict)

    @classmethod
    def load(cls, outfalls: list[Outfall]) -> "BatchRecords":
        found = cls()
        if not outfalls:
            return found
        outfall_ids = [o.id for o in outfalls]
        for outfall_id, number, decided in db.session.execute(
            select(Approval.outfall_id, Approval.decision_no, Approval.decided_on).where(
                Approval.outfall_id.in_(outfall_ids), Approval.state == ApprovalState.current
            )
        ):
            found.decisions.setdefault(outfall_id, []).append(Decision(number, decided))
        plan = RemediationPlan
        for outfall_id, category, status, deadline in db.session.execute(
            select(plan.outfall_id, plan.category, plan.status, plan.deadline).where(
                plan.outfall_id.in_(outfall_ids)
            )
        ):
            found.plans[outfall_id] = PlanState(category, status, deadline)
        for outfall in outfalls:
            if outfall.id not in found.plans:  # known to have none: the rules ask no query
                set_committed_value(outfall, "remediation_plan", None)
        return found


@dataclass
class Work:
    """What a row writes besides the outfall itself."""

    code: str
    region_id: int | None
    decision: approval_service.ApprovalInput | None = None
    new_plan: plan_service.PlanData | None = None
    changed_plan: plan_service.PlanData | None = None
    merge_target: Outfall | None = None  # a merge plan's target, kept as it was

    def __bool__(self) -> bool:
        return bool(self.decision or self.new_plan or self.changed_plan)


@dataclass
class Verdict:
    refusals: list[tuple[str, Any]] = field(default_factory=list)  # (sheet column, message)
    changes: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[str, Note]] = field(default_factory=list)
    work: Work | None = None


class _Standin(SimpleNamespace):
    """A new row's outfall for the rules that read one (it has no row yet): the row's
    values, no plan, the model's own stormwater rule."""

    is_stormwater = Outfall.is_stormwater
    remediation_plan = None
    id = None


def _standin(data) -> _Standin:
    return _Standin(
        code=data.code,
        category_l1=CategoryL1(data.category_l1),
        category_l2=CategoryL2(data.category_l2) if data.category_l2 else None,
        water_kind=WaterKind(data.water_kind),
        supervising_department_id=data.supervising_department_id,
        region_id=data.region_id,
    )


def judge(
    row: RowResult,
    data,
    outfall: Outfall | None,
    records: BatchRecords,
    context: FileContext,
    today: date,
) -> Verdict:
    """The row's decision and plan against the outfall's (None: a new outfall)."""
    verdict = Verdict()
    if row.decision is None and row.plan is None and row.plan_status is None:
        return verdict
    subject = outfall if outfall is not None else _standin(data)
    work = Work(data.code, data.region_id)
    if row.decision is not None:
        _decision(row.decision, data, outfall, records, context, today, subject, work, verdict)
    plan = records.plans.get(outfall.id) if outfall is not None else None
    if row.plan is not None:
        _plan(row.plan, data, plan, context, today, subject, work, verdict)
    if row.plan_status is not None:
        now = plan.status if plan is not None else None
        if work.new_plan is not None:
            now = plan_service.status_after(work.new_plan.category, RemediationStatus.identified)
        elif work.changed_plan is not None and plan is not None:
            now = plan_service.status_after(work.changed_plan.category, plan.status)
        if now is None:
            verdict.refusals.append(
                ("remediation_status", _l("Give the remediation category (整治类型) too."))
            )
        elif now.value != row.plan_status:
            verdict.notes.append(
                (
                    "remediation_status",
                    Note("plan_status", context.label(row.plan_status), context.label(now.value)),
                )
            )
    if not verdict.refusals and work:
        verdict.work = work
    return verdict


def _refuse(verdict: Verdict, error: UserError) -> None:
    verdict.refusals.append((FIELDS.get(error.field or "", "remediation_category"), error.message))


def _decision(decision, data, outfall, records, context, today, subject, work, verdict) -> None:
    number, decided, authority = decision
    current = records.decisions.get(outfall.id, []) if outfall is not None else []
    same = [a for a in current if a.decision_no == number]
    if same:
        if decided is not None and all(a.decided_on != decided for a in same):
            verdict.refusals.append(
                (
                    "approval_date",
                    _l(
                        "Decision %(no)s is published as of %(day)s: correct it on the "
                        "outfall's decisions page.",
                        no=number,
                        day=same[0].decided_on.isoformat(),
                    ),
                )
            )
        return
    if current:
        verdict.refusals.append(
            (
                "approval_no",
                _l(
                    "Decision %(no)s is current: correct or supersede it on the outfall's "
                    "decisions page.",
                    no=current[0].decision_no,
                ),
            )
        )
        return
    if decided is None:
        return  # rows.read_row refused the cell already
    proposed = approval_service.ApprovalInput(
        kind=legal.required_kind(data.water_kind, data.category_l1),
        decision_no=number,
        authority=authority or context.authority,
        decided_on=decided,
    )
    try:
        approval_service.check_input(subject, proposed, today)
    except UserError as error:
        _refuse(verdict, error)
        return
    work.decision = proposed
    verdict.changes.append({"field": "approval_no", "old": "", "new": number})


def _plan(wanted, data, plan, context, today, subject, work, verdict) -> None:
    category, deadline = RemediationCategory(wanted[0]), wanted[1]
    if plan is not None:
        if plan.category is category and deadline in (None, plan.deadline):
            return
        proposed = plan_service.PlanData.from_plan(subject.remediation_plan)
        proposed.category = category
        if deadline is not None:
            proposed.deadline = deadline
    else:
        proposed = plan_service.PlanData(
            category=category, deadline=deadline or context.default_deadline(data.region_id, today)
        )
        if proposed.deadline is None and category is not RemediationCategory.retain:
            verdict.refusals.append(
                (
                    "remediation_deadline",
                    _l("Give the deadline (整治时限): no remediation target is set to default to."),
                )
            )
            return
    target, problems = plan_service.plan_rules(subject, proposed)
    if problems:
        for error in problems:
            _refuse(verdict, error)
        return
    if plan is None:
        work.new_plan = proposed
        old = ""
    else:
        work.changed_plan, work.merge_target = proposed, target
        old = context.label(plan.category.value)
    new = context.label(category.value)
    if old != new:
        verdict.changes.append({"field": "remediation_category", "old": old, "new": new})
    if plan is not None and proposed.deadline != plan.deadline:
        verdict.changes.append(
            {
                "field": "remediation_deadline",
                "old": plan.deadline.isoformat() if plan.deadline else "",
                "new": proposed.deadline.isoformat(),
            }
        )


def write(
    works: list[Work],
    entries: list[dict[str, Any]],
    *,
    outfall_ids: dict[str, int],
    new_ids: set[int],
    outfalls: dict[str, Outfall],
    actor,
    reason: str,
    now,
    today: date,
) -> None:
    """Write a batch's decisions and plans once its outfalls are written (`outfall_ids`:
    every code of `works` → its outfall; `new_ids`: the outfalls just created), and record
    the batch's history: `entries` (the outfalls' own) and theirs, in one insert."""
    decisions = [(outfall_ids[w.code], w.decision) for w in works if w.decision]
    approval_service.create_approvals(decisions, entries)
    plan_service.create_plans(
        [(outfall_ids[w.code], w.region_id, w.new_plan) for w in works if w.new_plan],
        entries,
        reason=reason,
        today=today,
    )
    for entry in entries:
        if entry["outfall_id"] in new_ids:
            entry["fresh"] = True  # a chain begun in this batch: no head to look up
    record_many(entries, actor=actor, reason=reason, source="import", now=now)
    for w in works:
        if w.changed_plan is not None:  # rare: one plan at a time, as its form saves it
            plan_service.write_plan(
                actor,
                outfalls[w.code],
                w.changed_plan,
                w.merge_target,
                reason,
                today,
                source="import",
            )
