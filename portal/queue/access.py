"""Who may see and do what: every case query and button is scoped here (deny by default)."""

from datetime import datetime

from sqlalchemy import or_, select

from ..agencies.models import Role, StaffMember
from ..complaints.events import append_event
from ..complaints.models import ActorKind, Complaint, EventKind, Reporter, case_page_loads
from ..complaints.tokens import normalise_tracking_no
from ..extensions import db
from . import states
from .models import case_assisting

A = states.Action


def assisted_by(department_id: int):
    """A subquery: the ids of the cases this department assists."""
    return select(case_assisting.c.complaint_id).where(
        case_assisting.c.department_id == department_id
    )


def visible_to(actor: StaffMember):
    """A WHERE clause: the cases this staff member may see (deny by default)."""
    if actor.is_coordinator:
        return Complaint.id.is_not(None)
    if actor.department_id is None:
        return Complaint.id.is_(None)
    return or_(
        Complaint.department_id == actor.department_id,
        Complaint.id.in_(assisted_by(actor.department_id)),
    )


def case_for(actor: StaffMember, complaint_id: int) -> Complaint | None:
    """One case if this staff member may see it; None otherwise (the view answers 404)."""
    return db.session.scalars(
        select(Complaint)
        .where(Complaint.id == complaint_id, visible_to(actor))
        .options(*case_page_loads())
    ).first()


def case_id_by_number(actor: StaffMember, tracking_no: str) -> int | None:
    """The id of the case with this tracking number if this staff member may see it."""
    return db.session.scalar(
        select(Complaint.id).where(
            Complaint.tracking_no == normalise_tracking_no(tracking_no), visible_to(actor)
        )
    )


def handles(actor: StaffMember, complaint: Complaint) -> bool:
    """Whether the actor is the handling side: the lead department, or the coordinator."""
    if actor.is_coordinator:
        return True
    return actor.department_id is not None and actor.department_id == complaint.department_id


def may_see_reporter(actor: StaffMember, complaint: Complaint) -> bool:
    """Reporter identity: only the lead department, or the coordinator while it triages."""
    if complaint.department_id is None:
        return actor.is_coordinator
    return actor.department_id == complaint.department_id


def reporter_of(actor: StaffMember, complaint: Complaint) -> Reporter | None:
    """The reporter's row for whoever may see it (None otherwise); reading it records nothing:
    the page shows the identity only after `reveal_reporter`."""
    if not may_see_reporter(actor, complaint):
        return None
    return db.session.get(Reporter, complaint.id)


def reveal_reporter(actor: StaffMember, complaint: Complaint, now: datetime) -> Reporter | None:
    """The reporter's identity, revealed on a click by the handling department: the one
    access that is recorded (viewing the case is not)."""
    reporter = reporter_of(actor, complaint)
    if reporter is None or reporter.anonymous:
        return reporter
    append_event(
        complaint,
        EventKind.identity_viewed,
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        public=False,
    )
    return reporter


def available_actions(actor: StaffMember, complaint: Complaint) -> list[states.Action]:
    """The buttons this actor gets on this case."""
    if not handles(actor, complaint):
        return []
    actions = states.allowed_actions(complaint.status.value)
    # Reopening a rejected case and closing are the coordinator's; dispute is the reporter's.
    hidden = {A.dispute, A.reporter_replied}
    if not actor.is_coordinator:
        hidden |= {A.reopen}
    if complaint.department_id is None and not actor.is_coordinator:
        hidden |= set(actions)
    return [a for a in actions if a not in hidden]


def may_decide_extension(actor: StaffMember, complaint: Complaint) -> bool:
    """Extensions are decided by the lead department's head, or by the coordinator."""
    return actor.is_coordinator or (
        actor.role is Role.head and actor.department_id == complaint.department_id
    )
