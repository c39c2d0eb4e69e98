"""一口一策: creating and editing an outfall's remediation plan, and the yearly targets.

`check_plan` holds the plan's rules (every problem at once, each next to its field);
`save_plan` applies them and writes the change to the outfall's hash-chained history
(subject_kind "plan"), in the caller's transaction. Milestones already done are kept as they
are (their evidence proves them); the open ones are what the plan lists now. A plan cannot
change while it is in sign-off or after it is signed off: the sign-off steps
(services.take_step) are what moves it then.

Stormwater outfalls (雨洪排口) must not be merged or blocked: a ban (取缔) or merge plan for
one is refused with the rule's citation (config REMEDIATION_STORMWATER_RULE).

Targets (`save_target`) are the coordinator's: by a date, a share of the outfalls identified
by then signed off, per a source document; each change goes on the targets' own chain.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..agencies.models import Department, Role, StaffMember
from ..core.bulk import insert_rows, note_regions
from ..core.codes import normalise_code
from ..core.errors import UserError
from ..extensions import db
from ..geo.models import Region
from ..outfalls.access import may_edit
from ..outfalls.history import diff, outfall_chain, record
from ..outfalls.ledger import stormwater_refusal
from ..outfalls.models import (
    Outfall,
    OutfallStatus,
    RemediationCategory,
    RemediationEvent,
    RemediationMilestone,
    RemediationPlan,
    RemediationStatus,
)
from .models import RemediationTarget

S = RemediationStatus
# While the plan is in sign-off or signed off, only the sign-off steps move it.
LOCKED = frozenset({S.signoff_submitted, S.dept_confirmed, S.eee_approved, S.closed})
# A plan saved from one of these is approved now (or retained).
BEFORE_PLAN = frozenset({S.identified, S.monitored, S.traced, S.retained})
BLOCKING = frozenset({RemediationCategory.ban, RemediationCategory.merge})
MAX_MILESTONES = 50


@dataclass
class PlanData:
    """What a plan says (the form's input, parsed)."""

    category: RemediationCategory
    measures: str = ""
    deadline: date | None = None
    transition_until: date | None = None
    transition_reason: str = ""
    merge_target_code: str = ""
    responsible_department_id: int | None = None
    # The open milestones: (due date, title), in any order.
    milestones: Sequence[tuple[date, str]] = field(default_factory=list)

    @classmethod
    def from_plan(cls, plan: RemediationPlan) -> "PlanData":
        return cls(
            category=plan.category,
            measures=plan.measures,
            deadline=plan.deadline,
            transition_until=plan.transition_until,
            transition_reason=plan.transition_reason,
            merge_target_code=plan.merge_target.code if plan.merge_target else "",
            responsible_department_id=plan.responsible_department_id,
            milestones=[(m.due_on, m.title) for m in plan.milestones if m.done_on is None],
        )


def milestone_lines(milestones: Sequence[tuple[date, str]]) -> str:
    """Milestones as the form shows them: one "YYYY-MM-DD title" a line."""
    return "\n".join(f"{due.isoformat()} {title}" for due, title in milestones)


def parse_milestones(text: str) -> list[tuple[date, str]]:
    """ "YYYY-MM-DD title" lines (blank lines skipped); raises UserError on "milestones"."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day, _sep, title = line.partition(" ")
        try:
            due = date.fromisoformat(day)
        except ValueError:
            raise UserError(
                _l(
                    "Line %(n)s: start with the due date (YYYY-MM-DD), then the milestone.",
                    n=number,
                ),
                "milestones",
            ) from None
        title = title.strip()
        if not title or len(title) > 200:
            raise UserError(
                _l("Line %(n)s: name the milestone (at most 200 characters).", n=number),
                "milestones",
            )
        found.append((due, title))
    return found


def _merge_target(data: PlanData, outfall: Outfall) -> tuple[Outfall | None, list[UserError]]:
    code = normalise_code(data.merge_target_code or "")
    if data.category is not RemediationCategory.merge:
        if code:
            return None, [
                UserError(_l("Only a merge plan names an outfall to merge into."), "merge_target")
            ]
        return None, []
    if not code:
        return None, [
            UserError(_l("Give the code of the outfall it is merged into."), "merge_target")
        ]
    target = db.session.scalars(select(Outfall).where(Outfall.code == code)).first()
    if target is None:
        return None, [UserError(_l("No outfall has this code."), "merge_target")]
    if target.id == outfall.id:
        return None, [UserError(_l("Choose another outfall to merge into."), "merge_target")]
    if target.status is not OutfallStatus.in_service:
        return None, [UserError(_l("The outfall merged into must be in service."), "merge_target")]
    return target, []


def check_plan(
    actor: StaffMember, outfall: Outfall, data: PlanData
) -> tuple[Outfall | None, list[UserError]]:
    """The merge target and every problem with this plan for this outfall (none: it may be
    saved)."""
    if not may_edit(actor, outfall):
        return None, [UserError(_l("You may not edit this outfall's plan."))]
    return plan_rules(outfall, data)


def plan_rules(outfall: Outfall, data: PlanData) -> tuple[Outfall | None, list[UserError]]:
    """`check_plan` without the actor's permission (the import's data officer keeps the
    whole registry): the merge target and every problem with the plan."""
    plan = outfall.remediation_plan
    if plan is not None and plan.status in LOCKED:
        return None, [
            UserError(_l("The plan cannot change during its sign-off or after it is signed off."))
        ]
    problems: list[UserError] = []
    if data.category in BLOCKING and (refusal := stormwater_refusal(outfall, "category")):
        problems.append(refusal)
    target, refused = _merge_target(data, outfall)
    problems += refused
    if data.category is not RemediationCategory.retain and data.deadline is None:
        problems.append(UserError(_l("Give the plan's deadline."), "deadline"))
    if data.transition_until is not None and not data.transition_reason.strip():
        problems.append(
            UserError(_l("Say why the outfall has a transition period."), "transition_reason")
        )
    if data.transition_until is None and data.transition_reason.strip():
        problems.append(
            UserError(_l("Give the date the transition period ends."), "transition_until")
        )
    if len(data.milestones) > MAX_MILESTONES:
        problems.append(UserError(_l("At most %(n)s milestones.", n=MAX_MILESTONES), "milestones"))
    if data.deadline is not None and any(due > data.deadline for due, _t in data.milestones):
        problems.append(
            UserError(_l("Every milestone falls due by the plan's deadline."), "milestones")
        )
    if (
        data.responsible_department_id is not None
        and db.session.get(Department, data.responsible_department_id) is None
    ):
        problems.append(UserError(_l("Choose a department."), "responsible_department_id"))
    return target, problems


def _snapshot(plan: RemediationPlan | None) -> dict:
    if plan is None:
        return {}
    return {
        "category": plan.category.value,
        "status": plan.status.value,
        "measures": plan.measures,
        "deadline": plan.deadline.isoformat() if plan.deadline else None,
        "transition_until": plan.transition_until.isoformat() if plan.transition_until else None,
        "transition_reason": plan.transition_reason,
        "merge_target": plan.merge_target.code if plan.merge_target else None,
        "responsible_department_id": plan.responsible_department_id,
        "milestones": [
            f"{m.due_on.isoformat()} {m.title}"
            + (f" ✓{m.done_on.isoformat()}" if m.done_on else "")
            for m in sorted(plan.milestones, key=lambda m: (m.due_on, m.title))
        ],
    }


def status_after(category: RemediationCategory, status: RemediationStatus) -> RemediationStatus:
    """The status a plan of `category` has once saved from `status`."""
    if category is RemediationCategory.retain:
        return S.retained
    if status in BEFORE_PLAN:
        return S.plan_approved
    return status  # plan approved or being remediated: stays


def save_plan(
    actor: StaffMember, outfall: Outfall, data: PlanData, reason: str, today: date
) -> RemediationPlan:
    """Create or change the outfall's plan; raises the first UserError `check_plan` finds."""
    target, problems = check_plan(actor, outfall, data)
    if problems:
        raise problems[0]
    return write_plan(actor, outfall, data, target, reason, today)


def write_plan(
    actor: StaffMember | None,
    outfall: Outfall,
    data: PlanData,
    target: Outfall | None,
    reason: str,
    today: date,
    *,
    source: str = "form",
) -> RemediationPlan:
    """Write a plan `check_plan` (or `plan_rules`) accepted, with its merge target."""
    plan = outfall.remediation_plan
    reason = (reason or "").strip()
    if plan is not None and not reason:
        raise UserError(_l("Say why the plan changes (shown in the public history)."), "reason")
    before = _snapshot(plan)
    if plan is None:
        plan = RemediationPlan(outfall=outfall, category=data.category, status=S.identified)
        db.session.add(plan)
        db.session.flush()
    plan.category = data.category
    plan.measures = (data.measures or "").strip()
    plan.deadline = data.deadline
    plan.transition_until = data.transition_until
    plan.transition_reason = (data.transition_reason or "").strip()
    plan.merge_target = target
    plan.responsible_department_id = data.responsible_department_id
    kept = [m for m in plan.milestones if m.done_on is not None]
    plan.milestones = kept + [
        RemediationMilestone(title=title, due_on=due) for due, title in sorted(data.milestones)
    ]
    status = status_after(data.category, plan.status)
    if status is not plan.status:
        plan.status = status
        plan.events.append(RemediationEvent(status=status, occurred_on=today, note=reason))
    db.session.flush()
    record(
        chain=outfall_chain(outfall.id),
        subject_kind="plan",
        subject_id=plan.id,
        outfall_id=outfall.id,
        action="plan_updated" if before else "plan_created",
        changes=diff(before, _snapshot(plan), public=set(_snapshot(plan))),
        reason=reason,
        actor=actor,
        source=source,
    )
    return plan


def create_plans(
    items: Sequence[tuple[int, int | None, PlanData]],
    entries: list[dict],
    *,
    reason: str,
    today: date,
) -> None:
    """`save_plan` for many outfalls without a plan (the import), in a few statements: the
    plans and their first events each in one insert; their history entries are appended to
    `entries`, for the caller to record with the rest of its batch (`record_many`). Items
    are (outfall id, its region id, the plan), already judged by `plan_rules`; merge plans
    (which name a target) are not written this way."""
    if not items:
        return
    plan_table, event_table = RemediationPlan.__table__, RemediationEvent.__table__
    rows = []
    for outfall_id, _region, data in items:
        assert data.category is not RemediationCategory.merge
        rows.append(
            {
                "outfall_id": outfall_id,
                "category": data.category,
                "status": status_after(data.category, S.identified),
                "measures": (data.measures or "").strip(),
                "deadline": data.deadline,
                "transition_until": data.transition_until,
                "transition_reason": (data.transition_reason or "").strip(),
                "responsible_department_id": data.responsible_department_id,
            }
        )
    # One executemany, then the new ids by outfall (one plan each): RETURNING in the rows'
    # order would insert them one at a time.
    insert_rows(db.session, plan_table, rows)
    outfall_ids = [row["outfall_id"] for row in rows]
    by_outfall = dict(
        db.session.execute(
            select(plan_table.c.outfall_id, plan_table.c.id).where(
                plan_table.c.outfall_id.in_(outfall_ids)
            )
        ).all()
    )
    ids = [by_outfall[oid] for oid in outfall_ids]
    insert_rows(
        db.session,
        event_table,
        [
            {"plan_id": pid, "status": row["status"], "occurred_on": today, "note": reason}
            for pid, row in zip(ids, rows, strict=True)
        ],
    )
    for pid, row in zip(ids, rows, strict=True):
        # The snapshot save_plan records, without an ORM object per row.
        after = _snapshot(SimpleNamespace(**row, merge_target=None, milestones=[]))
        entries.append(
            {
                "chain": outfall_chain(row["outfall_id"]),
                "subject_kind": "plan",
                "subject_id": pid,
                "outfall_id": row["outfall_id"],
                "action": "plan_created",
                "changes": diff({}, after, public=set(after)),
            }
        )
    note_regions(db.session, {region for _o, region, _d in items})  # the progress rollup


# --- Targets ------------------------------------------------------------------------------

TARGET_CHAIN = "remediation_targets"


@dataclass
class TargetData:
    due_on: date
    percent: int
    source: str
    region_id: int | None = None
    note: str = ""


def check_target(actor: StaffMember, data: TargetData) -> list[UserError]:
    if actor.role is not Role.coordinator:
        return [UserError(_l("Only the coordinator keeps the targets."))]
    problems = []
    if data.percent is None or not 1 <= data.percent <= 100:
        problems.append(UserError(_l("A share from 1 to 100 per cent."), "percent"))
    if not (data.source or "").strip() or len(data.source) > 300:
        problems.append(
            UserError(_l("Cite the source document (at most 300 characters)."), "source")
        )
    if data.region_id is not None and db.session.get(Region, data.region_id) is None:
        problems.append(UserError(_l("Choose a region."), "region_id"))
    return problems


def _target_snapshot(target: RemediationTarget | None) -> dict:
    if target is None:
        return {}
    return {
        "due_on": target.due_on.isoformat(),
        "percent": target.percent,
        "region_id": target.region_id,
        "source": target.source,
        "note": target.note,
    }


def save_target(
    actor: StaffMember, data: TargetData, target: RemediationTarget | None = None
) -> RemediationTarget:
    """Add a target or change one; raises the first problem `check_target` finds."""
    problems = check_target(actor, data)
    if problems:
        raise problems[0]
    before = _target_snapshot(target)
    if target is None:
        target = RemediationTarget(due_on=data.due_on, percent=data.percent, source="")
        db.session.add(target)
    target.due_on, target.percent = data.due_on, data.percent
    target.region_id, target.source = data.region_id, data.source.strip()
    target.note = (data.note or "").strip()
    target.is_demo = False
    db.session.flush()
    after = _target_snapshot(target)
    record(
        chain=TARGET_CHAIN,
        subject_kind="target",
        subject_id=target.id,
        action="target_updated" if before else "target_created",
        changes=diff(before, after, public=set(after)),
        actor=actor,
    )
    return target
