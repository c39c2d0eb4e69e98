"""The three-step sign-off (销号) of a remediation plan, as a pure state machine (no DB).

Jilin §(六)6: the responsible entity submits proof (证明材料) → the supervising department
issues its formal confirmation (正式确认文件) → the ecology and environment bureau reviews and
confirms → the outfall is signed off. The portal records each step on the entity's behalf:

1. ``submit`` — proof submitted by the supervising department's staff (or head) or by the data
   officer; refused while any milestone is open, and without at least one document.
2. ``confirm`` — the supervising department confirms with its confirmation document (number,
   date, file); ``dept_return`` sends it back to step 1 with a reason.
3. ``approve`` — the coordinator (生态环境局) signs off; ``coordinator_return`` sends it back to
   step 1 with a reason.

No one acts on a step they took themselves: whoever submitted the proof cannot confirm it,
and whoever submitted or confirmed cannot approve. `decide` answers the next status or raises
`Refused` with a reason code the services translate.
"""

import enum
from dataclasses import dataclass

from ..agencies.models import Role
from ..outfalls.models import RemediationCategory, RemediationStatus

S = RemediationStatus

# Where proof may be submitted from: work in progress (after a return it is here again).
SUBMITTABLE = frozenset({S.plan_approved, S.remediating})
SIGNOFF_STATES = frozenset({S.signoff_submitted, S.dept_confirmed})


class Action(enum.StrEnum):
    submit = "submit"
    confirm = "confirm"
    dept_return = "dept_return"
    approve = "approve"
    coordinator_return = "coordinator_return"


# Each action, the status it starts from and the status it leads to.
TRANSITIONS: dict[Action, tuple[frozenset[RemediationStatus], RemediationStatus]] = {
    Action.submit: (SUBMITTABLE, S.signoff_submitted),
    Action.confirm: (frozenset({S.signoff_submitted}), S.dept_confirmed),
    Action.dept_return: (frozenset({S.signoff_submitted}), S.remediating),
    Action.approve: (frozenset({S.dept_confirmed}), S.closed),
    Action.coordinator_return: (frozenset({S.dept_confirmed}), S.remediating),
}
RETURNS = frozenset({Action.dept_return, Action.coordinator_return})


class Refusal(enum.StrEnum):
    wrong_state = "wrong_state"
    retained = "retained"
    role = "role"
    department = "department"
    no_department = "no_department"
    open_milestones = "open_milestones"
    no_milestones = "no_milestones"
    no_documents = "no_documents"
    no_confirmation = "no_confirmation"
    no_reason = "no_reason"
    own_step = "own_step"


class Refused(Exception):
    """A transition the rules do not allow; `reason` says which rule."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Actor:
    """Who acts: their account, role and department."""

    staff_id: int
    role: Role
    department_id: int | None


@dataclass(frozen=True)
class PlanState:
    """What the rules need to know about a plan."""

    status: RemediationStatus
    category: RemediationCategory
    supervising_department_id: int | None
    open_milestones: int
    milestones: int
    submitted_by: int | None = None  # staff id of the pending proof's submitter
    confirmed_by: int | None = None  # staff id of the pending confirmation's author


@dataclass(frozen=True)
class StepInput:
    """What the actor brings to a step."""

    documents: int = 0  # files attached to this step
    confirmation: bool = False  # number, date and file of the formal confirmation given
    reason: str = ""


def _of_supervising_department(actor: Actor, plan: PlanState) -> bool:
    if actor.role not in (Role.staff, Role.head, Role.coordinator):
        return False
    return actor.department_id == plan.supervising_department_id


def _check_actor(action: Action, actor: Actor, plan: PlanState) -> None:
    if action is Action.submit:
        if actor.role is Role.data_officer:
            return
        if actor.role not in (Role.staff, Role.head):
            raise Refused(Refusal.role)
        if plan.supervising_department_id is None:
            raise Refused(Refusal.no_department)
        if actor.department_id != plan.supervising_department_id:
            raise Refused(Refusal.department)
        return
    if action in (Action.confirm, Action.dept_return):
        if plan.supervising_department_id is None:
            raise Refused(Refusal.no_department)
        if actor.role not in (Role.staff, Role.head, Role.coordinator):
            raise Refused(Refusal.role)
        if not _of_supervising_department(actor, plan):
            raise Refused(Refusal.department)
        if actor.staff_id == plan.submitted_by:
            raise Refused(Refusal.own_step)
        return
    # approve / coordinator_return: the coordinator, and not on a step of their own.
    if actor.role is not Role.coordinator:
        raise Refused(Refusal.role)
    if actor.staff_id in (plan.submitted_by, plan.confirmed_by):
        raise Refused(Refusal.own_step)


def decide(action: Action, actor: Actor, plan: PlanState, given: StepInput) -> RemediationStatus:
    """The status `action` by `actor` leads to; raises `Refused` naming the rule broken."""
    if plan.category is RemediationCategory.retain:
        raise Refused(Refusal.retained)
    sources, target = TRANSITIONS[action]
    if plan.status not in sources:
        raise Refused(Refusal.wrong_state)
    _check_actor(action, actor, plan)
    if action is Action.submit:
        if plan.milestones == 0:
            raise Refused(Refusal.no_milestones)
        if plan.open_milestones:
            raise Refused(Refusal.open_milestones)
        if given.documents < 1:
            raise Refused(Refusal.no_documents)
    elif action is Action.confirm:
        if not given.confirmation:
            raise Refused(Refusal.no_confirmation)
    elif action in RETURNS and not given.reason.strip():
        raise Refused(Refusal.no_reason)
    return target


def allowed_actions(actor: Actor, plan: PlanState) -> list[Action]:
    """The actions open to `actor` now, assuming they bring what each needs (for buttons)."""
    full = StepInput(documents=1, confirmation=True, reason="-")
    allowed = []
    for action in Action:
        try:
            decide(action, actor, plan, full)
        except Refused:
            continue
        allowed.append(action)
    return allowed


def next_actor(status: RemediationStatus) -> str | None:
    """Whose turn it is: 'department' (confirm), 'coordinator' (review) or None."""
    if status is S.signoff_submitted:
        return "department"
    if status is S.dept_confirmed:
        return "coordinator"
    return None
