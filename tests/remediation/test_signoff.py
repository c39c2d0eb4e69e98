"""The sign-off (销号) state machine: every allowed and refused transition (pure, no DB)."""

import pytest

from portal.agencies.models import Role
from portal.outfalls.models import RemediationCategory as C
from portal.outfalls.models import RemediationStatus as S
from portal.remediation.signoff import (
    Action,
    Actor,
    PlanState,
    Refusal,
    Refused,
    StepInput,
    allowed_actions,
    decide,
    next_actor,
)

DEPT = 7
STAFF = Actor(1, Role.staff, DEPT)
COLLEAGUE = Actor(2, Role.staff, DEPT)
HEAD = Actor(3, Role.head, DEPT)
OTHER_DEPT = Actor(4, Role.staff, 8)
OFFICER = Actor(5, Role.data_officer, None)
COORDINATOR = Actor(6, Role.coordinator, 99)
COORDINATOR_2 = Actor(9, Role.coordinator, 99)
ADMIN = Actor(10, Role.admin, None)
FULL = StepInput(documents=1, confirmation=True, reason="材料不全")


def plan(status=S.remediating, **kw) -> PlanState:
    defaults = dict(
        status=status,
        category=C.regularise,
        supervising_department_id=DEPT,
        open_milestones=0,
        milestones=2,
    )
    return PlanState(**(defaults | kw))


def refused(action, actor, state, given=FULL) -> Refusal:
    with pytest.raises(Refused) as info:
        decide(action, actor, state, given)
    return info.value.reason


@pytest.mark.parametrize("actor", [STAFF, HEAD, OFFICER])
@pytest.mark.parametrize("status", [S.plan_approved, S.remediating])
def test_proof_is_submitted_by_the_department_or_the_data_officer(actor, status):
    assert decide(Action.submit, actor, plan(status), FULL) is S.signoff_submitted


@pytest.mark.parametrize(
    "actor, reason",
    [
        (OTHER_DEPT, Refusal.department),
        (COORDINATOR, Refusal.role),
        (ADMIN, Refusal.role),
    ],
)
def test_proof_by_anyone_else_is_refused(actor, reason):
    assert refused(Action.submit, actor, plan()) is reason


def test_proof_is_refused_while_a_milestone_is_open():
    assert refused(Action.submit, STAFF, plan(open_milestones=1)) is Refusal.open_milestones


def test_proof_needs_milestones_and_documents():
    assert refused(Action.submit, STAFF, plan(milestones=0)) is Refusal.no_milestones
    assert refused(Action.submit, STAFF, plan(), StepInput()) is Refusal.no_documents


def test_proof_needs_a_supervising_department_for_department_staff():
    state = plan(supervising_department_id=None)
    assert refused(Action.submit, STAFF, state) is Refusal.no_department
    assert decide(Action.submit, OFFICER, state, FULL) is S.signoff_submitted


@pytest.mark.parametrize(
    "status",
    [S.identified, S.monitored, S.traced, S.signoff_submitted, S.dept_confirmed, S.closed],
)
def test_proof_only_from_work_in_progress(status):
    assert refused(Action.submit, STAFF, plan(status)) is Refusal.wrong_state


def test_retained_outfalls_are_never_signed_off():
    for action in Action:
        assert refused(action, STAFF, plan(category=C.retain)) is Refusal.retained


def test_department_confirms_someone_elses_proof():
    state = plan(S.signoff_submitted, submitted_by=STAFF.staff_id)
    assert decide(Action.confirm, COLLEAGUE, state, FULL) is S.dept_confirmed
    assert decide(Action.confirm, HEAD, state, FULL) is S.dept_confirmed
    assert refused(Action.confirm, STAFF, state) is Refusal.own_step
    assert refused(Action.confirm, OTHER_DEPT, state) is Refusal.department
    assert refused(Action.confirm, OFFICER, state) is Refusal.role
    assert refused(Action.confirm, COORDINATOR, state) is Refusal.department


def test_confirmation_needs_the_formal_document():
    state = plan(S.signoff_submitted, submitted_by=OFFICER.staff_id)
    assert refused(Action.confirm, STAFF, state, StepInput()) is Refusal.no_confirmation


def test_a_coordinator_of_the_supervising_department_may_confirm():
    state = plan(S.signoff_submitted, supervising_department_id=99, submitted_by=OFFICER.staff_id)
    assert decide(Action.confirm, COORDINATOR, state, FULL) is S.dept_confirmed


def test_department_returns_with_a_reason_back_to_step_one():
    state = plan(S.signoff_submitted, submitted_by=OFFICER.staff_id)
    assert decide(Action.dept_return, STAFF, state, FULL) is S.remediating
    assert refused(Action.dept_return, STAFF, state, StepInput(reason="  ")) is Refusal.no_reason
    assert refused(Action.dept_return, OTHER_DEPT, state) is Refusal.department


@pytest.mark.parametrize("action", [Action.confirm, Action.dept_return])
@pytest.mark.parametrize("status", [S.remediating, S.dept_confirmed, S.closed])
def test_department_step_only_on_submitted_proof(action, status):
    assert refused(action, STAFF, plan(status)) is Refusal.wrong_state


def test_coordinator_approves_or_returns_a_confirmed_plan():
    state = plan(S.dept_confirmed, submitted_by=STAFF.staff_id, confirmed_by=HEAD.staff_id)
    assert decide(Action.approve, COORDINATOR, state, FULL) is S.closed
    assert decide(Action.coordinator_return, COORDINATOR, state, FULL) is S.remediating
    assert refused(Action.coordinator_return, COORDINATOR, state, StepInput()) is Refusal.no_reason


@pytest.mark.parametrize("actor", [STAFF, HEAD, OFFICER, ADMIN])
def test_only_the_coordinator_reviews(actor):
    state = plan(S.dept_confirmed, submitted_by=99, confirmed_by=98)
    assert refused(Action.approve, actor, state) is Refusal.role
    assert refused(Action.coordinator_return, actor, state) is Refusal.role


def test_the_coordinator_does_not_approve_their_own_confirmation():
    state = plan(
        S.dept_confirmed,
        supervising_department_id=99,
        submitted_by=OFFICER.staff_id,
        confirmed_by=COORDINATOR.staff_id,
    )
    assert refused(Action.approve, COORDINATOR, state) is Refusal.own_step
    assert decide(Action.approve, COORDINATOR_2, state, FULL) is S.closed


@pytest.mark.parametrize("action", [Action.approve, Action.coordinator_return])
@pytest.mark.parametrize("status", [S.remediating, S.signoff_submitted, S.closed])
def test_review_only_of_a_confirmed_plan(action, status):
    assert refused(action, COORDINATOR, plan(status)) is Refusal.wrong_state


def test_allowed_actions_and_whose_turn():
    assert allowed_actions(STAFF, plan()) == [Action.submit]
    submitted = plan(S.signoff_submitted, submitted_by=STAFF.staff_id)
    assert allowed_actions(STAFF, submitted) == []
    assert allowed_actions(COLLEAGUE, submitted) == [Action.confirm, Action.dept_return]
    confirmed = plan(S.dept_confirmed, submitted_by=1, confirmed_by=2)
    assert allowed_actions(COORDINATOR, confirmed) == [Action.approve, Action.coordinator_return]
    assert next_actor(S.signoff_submitted) == "department"
    assert next_actor(S.dept_confirmed) == "coordinator"
    assert next_actor(S.closed) is None
