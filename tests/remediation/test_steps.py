"""The sign-off steps through the services, on SQLite and PostgreSQL: each role, each refusal,
the history and the outbox."""

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.agencies.models import Role
from portal.core.errors import UserError
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.outfalls.history import verify_ledger
from portal.outfalls.models import LedgerEntry, RemediationStatus
from portal.remediation import rollup
from portal.remediation.documents import Upload
from portal.remediation.models import DocumentKind, ProgressCell, RemediationDocument
from portal.remediation.services import StepForm, complete_milestone, take_step
from portal.remediation.signoff import Action
from tests import factories as f
from tests.staff import staff_member

TODAY = date(2025, 6, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="proof.pdf") -> Upload:
    return Upload(DocumentKind.pdf, PDF + name.encode(), name, "application/pdf")


@pytest.fixture
def world(app_ctx):
    dept = f.department(email="dept@example.org")
    outfall = f.outfall(department=dept)
    plan = f.plan(outfall, identified_on=date(2024, 1, 1))
    staff = staff_member(Role.staff, email="a@example.org")
    staff.department_id = dept.id
    colleague = staff_member(Role.head, email="b@example.org")
    colleague.department_id = dept.id
    coordinator = staff_member(Role.coordinator, totp=True, email="c@example.org")
    officer = staff_member(Role.data_officer, totp=True, email="d@example.org")
    db.session.commit()
    return plan, staff, colleague, coordinator, officer


def test_three_steps_sign_an_outfall_off(world):
    plan, staff, colleague, coordinator, officer = world
    with pytest.raises(UserError) as refused:
        take_step(officer, plan, Action.submit, StepForm(TODAY, uploads=[pdf()]), TODAY)
    with force_locale("en"):  # the message, whatever locale an earlier test left behind
        assert "milestone" in str(refused.value)
    complete_milestone(
        staff, plan, plan.milestones[0], date(2025, 5, 1), "完成", [pdf("m.pdf")], TODAY
    )
    take_step(officer, plan, Action.submit, StepForm(TODAY, uploads=[pdf()]), TODAY)
    assert plan.status is RemediationStatus.signoff_submitted
    with pytest.raises(UserError):  # no confirmation document
        take_step(colleague, plan, Action.confirm, StepForm(TODAY), TODAY)
    take_step(
        colleague,
        plan,
        Action.confirm,
        StepForm(
            TODAY, document_number="钦住建函〔2025〕9号", document_date=TODAY, uploads=[pdf()]
        ),
        TODAY,
    )
    assert plan.status is RemediationStatus.dept_confirmed
    with pytest.raises(UserError):
        take_step(staff, plan, Action.approve, StepForm(TODAY), TODAY)
    take_step(coordinator, plan, Action.approve, StepForm(TODAY), TODAY)
    db.session.commit()
    assert plan.status is RemediationStatus.closed and plan.signed_off_on == TODAY
    assert [e.status for e in plan.events][-2:] == [
        RemediationStatus.eee_approved,
        RemediationStatus.closed,
    ]
    actions = db.session.scalars(
        select(LedgerEntry.action).where(LedgerEntry.outfall_id == plan.outfall_id)
    ).all()
    assert actions == [
        "milestone_done",
        "signoff_submit",
        "signoff_confirm",
        "signoff_approve",
    ]
    assert verify_ledger() is None
    recipients = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert {"a@example.org", "b@example.org", "dept@example.org", "c@example.org"} <= recipients
    assert db.session.scalar(select(db.func.count()).select_from(RemediationDocument)) == 3
    cells = {c.stage: c.n for c in db.session.scalars(select(ProgressCell))}
    assert cells == {"signed_off": 1}


def test_returns_go_back_to_step_one_with_a_reason(world):
    plan, staff, colleague, coordinator, officer = world
    plan.milestones[0].done_on = date(2025, 5, 1)
    take_step(staff, plan, Action.submit, StepForm(TODAY, uploads=[pdf()]), TODAY)
    with pytest.raises(UserError):  # own step
        take_step(staff, plan, Action.dept_return, StepForm(TODAY, reason="缺照片"), TODAY)
    with pytest.raises(UserError):  # no reason
        take_step(colleague, plan, Action.dept_return, StepForm(TODAY), TODAY)
    take_step(colleague, plan, Action.dept_return, StepForm(TODAY, reason="缺照片"), TODAY)
    assert plan.status is RemediationStatus.remediating
    take_step(officer, plan, Action.submit, StepForm(TODAY, uploads=[pdf()]), TODAY)
    take_step(
        staff,
        plan,
        Action.confirm,
        StepForm(TODAY, document_number="X1", document_date=TODAY, uploads=[pdf()]),
        TODAY,
    )
    take_step(coordinator, plan, Action.coordinator_return, StepForm(TODAY, reason="复核"), TODAY)
    assert plan.status is RemediationStatus.remediating and plan.signed_off_on is None
    db.session.commit()


def test_future_dates_are_refused(world):
    plan, staff, *_ = world
    with pytest.raises(UserError) as refused:
        complete_milestone(staff, plan, plan.milestones[0], date(2025, 7, 1), "", [pdf()], TODAY)
    assert refused.value.field == "done_on"


def test_rollup_rebuild_counts_every_outfall(world):
    f.outfall()  # no plan
    db.session.commit()
    rollup.rebuild()
    cells = {c.stage: c.n for c in db.session.scalars(select(ProgressCell))}
    assert cells == {"remediating": 1, "no_plan": 1}
