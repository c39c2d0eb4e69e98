"""State changes of a plan: milestones done with evidence, and the three sign-off steps.

Each change is checked by `signoff.decide` (the rules), written to the registry's hash-chained
history on the outfall's chain (subject_kind "plan"), and announced through the outbox to whoever
acts next, all in the caller's transaction (the view commits).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..agencies.models import Department, Role, StaffMember
from ..core.clock import utcnow
from ..core.errors import UserError
from ..extensions import db
from ..notify import services as notify
from ..outfalls.history import diff, outfall_chain, record, snapshot
from ..outfalls.models import (
    RemediationEvent,
    RemediationMilestone,
    RemediationPlan,
    RemediationStatus,
)
from .documents import Upload, store
from .models import RemediationDocument, SignoffStep
from .signoff import Action, Actor, PlanState, Refusal, Refused, StepInput, decide, next_actor

PLAN_FIELDS = ("status", "signed_off_on")
REFUSALS = {
    Refusal.wrong_state: _l("This step is not open for this plan now."),
    Refusal.retained: _l("A retained outfall is not signed off."),
    Refusal.role: _l("Your role does not take this step."),
    Refusal.department: _l("Only the supervising department takes this step."),
    Refusal.no_department: _l("The outfall has no supervising department yet."),
    Refusal.open_milestones: _l("Every milestone must be done before proof is submitted."),
    Refusal.no_milestones: _l("The plan has no milestones yet."),
    Refusal.no_documents: _l("Attach at least one document or photo as proof."),
    Refusal.no_confirmation: _l("Give the confirmation document's number, date and file."),
    Refusal.no_reason: _l("Say why it is returned."),
    Refusal.own_step: _l("Someone else must take this step: you took the one before it."),
}
REFUSAL_FIELDS = {
    Refusal.no_documents: "files",
    Refusal.no_confirmation: "document_number",
    Refusal.no_reason: "reason",
}
# Status path each action writes to the public remediation history.
EVENTS = {
    Action.submit: (RemediationStatus.signoff_submitted,),
    Action.confirm: (RemediationStatus.dept_confirmed,),
    Action.dept_return: (RemediationStatus.remediating,),
    Action.approve: (RemediationStatus.eee_approved, RemediationStatus.closed),
    Action.coordinator_return: (RemediationStatus.remediating,),
}


# The history's action names (LedgerEntry.action holds 24 characters).
LEDGER_ACTIONS = {
    Action.submit: "signoff_submit",
    Action.confirm: "signoff_confirm",
    Action.dept_return: "signoff_dept_return",
    Action.approve: "signoff_approve",
    Action.coordinator_return: "signoff_review_return",
}


def actor_of(staff: StaffMember) -> Actor:
    return Actor(staff.id, staff.role, staff.department_id)


def pending_steps(plan: RemediationPlan) -> tuple[int | None, int | None]:
    """Who submitted the pending proof and who confirmed it (since the last return)."""
    submitted = confirmed = None
    for step in db.session.scalars(
        select(SignoffStep).where(SignoffStep.plan_id == plan.id).order_by(SignoffStep.id)
    ):
        if step.action is Action.submit:
            submitted, confirmed = step.staff_id, None
        elif step.action is Action.confirm:
            confirmed = step.staff_id
        else:
            submitted = confirmed = None
    return submitted, confirmed


def plan_state(plan: RemediationPlan) -> PlanState:
    submitted, confirmed = pending_steps(plan)
    return PlanState(
        status=plan.status,
        category=plan.category,
        supervising_department_id=plan.outfall.supervising_department_id,
        open_milestones=sum(1 for m in plan.milestones if m.done_on is None),
        milestones=len(plan.milestones),
        submitted_by=submitted,
        confirmed_by=confirmed,
    )


def _check_date(day: date, today: date, field: str) -> None:
    if day > today:
        raise UserError(_l("The date cannot be in the future."), field=field)


def _attach(
    plan: RemediationPlan, uploads: Sequence[Upload], titles: str, **links
) -> list[RemediationDocument]:
    docs = []
    for upload in uploads:
        doc = RemediationDocument(
            plan_id=plan.id,
            kind=upload.kind,
            title=titles[:200],
            filename=upload.filename,
            content_type=upload.content_type,
            size=len(upload.data),
            sha256=store(upload),
            **links,
        )
        db.session.add(doc)
        docs.append(doc)
    db.session.flush()
    return docs


def complete_milestone(
    actor: StaffMember,
    plan: RemediationPlan,
    milestone: RemediationMilestone,
    done_on: date,
    note: str,
    uploads: Sequence[Upload],
    today: date,
) -> None:
    """Mark a milestone done with a date and evidence (at least one file)."""
    if plan.status not in (RemediationStatus.plan_approved, RemediationStatus.remediating):
        raise UserError(_l("Milestones change only while the work is in progress."))
    if milestone.done_on is not None:
        raise UserError(_l("This milestone is already done."))
    _check_date(done_on, today, "done_on")
    if not uploads:
        raise UserError(_l("Attach at least one document or photo as evidence."), field="files")
    before = {"done_on": None}
    milestone.done_on = done_on
    milestone.evidence_note = note
    _attach(plan, uploads, milestone.title, milestone_id=milestone.id)
    if plan.status is RemediationStatus.plan_approved:
        plan.status = RemediationStatus.remediating
        plan.events.append(RemediationEvent(status=plan.status, occurred_on=done_on, note=""))
    record(
        chain=outfall_chain(plan.outfall_id),
        subject_kind="plan",
        subject_id=plan.id,
        outfall_id=plan.outfall_id,
        action="milestone_done",
        changes=diff(
            before,
            {"done_on": done_on, "milestone": milestone.title, "files": len(uploads)},
            public={"done_on", "milestone", "files"},
        ),
        reason=note,
        actor=actor,
    )


@dataclass
class StepForm:
    """What a person brings to a sign-off step."""

    occurred_on: date
    reason: str = ""
    document_number: str = ""
    document_date: date | None = None
    uploads: Sequence[Upload] = ()


def take_step(
    staff: StaffMember, plan: RemediationPlan, action: Action, form: StepForm, today: date
) -> SignoffStep:
    """Take one sign-off step; raises UserError (translated, next to its field) if refused."""
    _check_date(form.occurred_on, today, "occurred_on")
    if form.document_date is not None:
        _check_date(form.document_date, today, "document_date")
    confirmation = bool(form.document_number.strip() and form.document_date and form.uploads)
    try:
        target = decide(
            action,
            actor_of(staff),
            plan_state(plan),
            StepInput(len(form.uploads), confirmation, form.reason),
        )
    except Refused as refused:
        raise UserError(REFUSALS[refused.reason], REFUSAL_FIELDS.get(refused.reason)) from None
    before = snapshot(plan, PLAN_FIELDS)
    step = SignoffStep(
        plan_id=plan.id,
        action=action,
        occurred_on=form.occurred_on,
        reason=form.reason.strip(),
        document_number=form.document_number.strip() if action is Action.confirm else "",
        document_date=form.document_date if action is Action.confirm else None,
        staff_id=staff.id,
        department_id=staff.department_id,
        created_at=utcnow(),
    )
    db.session.add(step)
    db.session.flush()
    _attach(plan, form.uploads, str(STEP_TITLES[action]), step_id=step.id)
    plan.status = target
    plan.signed_off_on = form.occurred_on if target is RemediationStatus.closed else None
    for status in EVENTS[action]:
        plan.events.append(
            RemediationEvent(status=status, occurred_on=form.occurred_on, note=step.reason)
        )
    record(
        chain=outfall_chain(plan.outfall_id),
        subject_kind="plan",
        subject_id=plan.id,
        outfall_id=plan.outfall_id,
        action=LEDGER_ACTIONS[action],
        changes=diff(before, snapshot(plan, PLAN_FIELDS), public=set(PLAN_FIELDS)),
        reason=step.reason,
        actor=staff,
    )
    _notify(plan, action)
    return step


STEP_TITLES = {
    Action.submit: _l("Proof of remediation (证明材料)"),
    Action.confirm: _l("Formal confirmation of the supervising department (正式确认文件)"),
    Action.dept_return: _l("Returned by the supervising department"),
    Action.approve: _l("Sign-off approved by the ecology and environment bureau"),
    Action.coordinator_return: _l("Returned by the ecology and environment bureau"),
}


def staff_emails(department_id: int | None, roles) -> list[str]:
    query = select(StaffMember.email).where(
        StaffMember.active, StaffMember.role.in_(list(roles)), StaffMember.email != ""
    )
    if department_id is not None:
        query = query.where(StaffMember.department_id == department_id)
    addresses = list(db.session.scalars(query))
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is not None and department.email:
            addresses.append(department.email)
    return list(dict.fromkeys(addresses))


def recipients(plan: RemediationPlan, status: RemediationStatus) -> list[str]:
    """Whoever acts next: the supervising department, else the coordinators."""
    department_id = plan.outfall.supervising_department_id
    if next_actor(status) == "coordinator":
        coordinator = db.session.scalars(
            select(Department.id).where(Department.is_coordinator)
        ).first()
        return staff_emails(None, [Role.coordinator]) + (
            staff_emails(coordinator, []) if coordinator else []
        )
    return staff_emails(department_id, [Role.staff, Role.head]) if department_id else []


def _notify(plan: RemediationPlan, action: Action) -> None:
    now = utcnow()
    with force_locale("zh"):
        subject = _(
            "Remediation of outfall %(code)s: %(step)s",
            code=plan.outfall.code,
            step=str(STEP_TITLES[action]),
        )
        body = _(
            "Outfall %(code)s (%(name)s): %(step)s. Open the plan under /manage/ to continue.",
            code=plan.outfall.code,
            name=plan.outfall.name,
            step=str(STEP_TITLES[action]),
        )
        for address in recipients(plan, plan.status):
            notify.enqueue_email(db.session, address, subject, body, now)
