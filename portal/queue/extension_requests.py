"""More time for a case: the handling department asks once, its head or the coordinator decides."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..agencies.models import Role, StaffMember
from ..complaints.events import append_event
from ..complaints.models import ActorKind, Complaint, EventKind
from ..core.errors import UserError
from ..extensions import db
from . import deadlines
from .access import handles, may_decide_extension
from .calendar import load_calendar, recompute_deadlines
from .models import ExtensionRequest
from .notices import notify_reporter


def request_extension(
    actor: StaffMember, complaint: Complaint, days: int, reason: str, now: datetime
) -> ExtensionRequest:
    """The handling department asks for more time (one extension, ≤ 30 days, with reason).

    Raises:
        UserError: not the handling side, already extended or pending, or bad days/reason.
    """
    if not handles(actor, complaint) or not complaint.is_open:
        raise UserError(_("This action is not available for this case."))
    if complaint.extension_days or db.session.scalar(
        select(func.count())
        .select_from(ExtensionRequest)
        .where(ExtensionRequest.complaint_id == complaint.id, ExtensionRequest.approved.is_(None))
    ):
        raise UserError(_("A case can be extended once."))
    if not 1 <= days <= deadlines.Sla().max_extension_days or not reason.strip():
        raise UserError(_("Ask for 1 to 30 days and give the reason."))
    request = ExtensionRequest(
        complaint_id=complaint.id,
        days=days,
        reason=reason.strip(),
        requested_by=actor.id,
        requested_at=now,
    )
    db.session.add(request)
    append_event(
        complaint,
        EventKind.extension_requested,
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        message=f"{days}: {reason.strip()}",
        public=False,
    )
    return request


def decide_extension(
    actor: StaffMember, request: ExtensionRequest, approve: bool, now: datetime
) -> None:
    """The department head or the coordinator approves or refuses an extension.

    Raises:
        UserError: the actor may not decide, or it was decided already.
    """
    complaint = db.session.get(Complaint, request.complaint_id)
    if not may_decide_extension(actor, complaint) or request.approved is not None:
        raise UserError(_("This action is not available for this case."))
    request.approved, request.decided_by, request.decided_at = approve, actor.id, now
    if approve:
        complaint.extension_days = request.days
        complaint.extension_reason = request.reason
        # A new deadline: warn and escalate again before and at it.
        complaint.warned_at = complaint.escalated_at = None
        recompute_deadlines(complaint, load_calendar(), now)
    append_event(
        complaint,
        EventKind.extension_approved if approve else EventKind.extension_refused,
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        message=request.reason if approve else "",
        public=approve,
    )
    if approve:
        notify_reporter(complaint, "extended", now, message=request.reason)


def pending_extensions(actor: StaffMember) -> list[ExtensionRequest]:
    """Extension requests this actor may decide."""
    query = (
        select(ExtensionRequest)
        .join(Complaint, Complaint.id == ExtensionRequest.complaint_id)
        .where(ExtensionRequest.approved.is_(None))
        .options(joinedload(ExtensionRequest.complaint))  # named by tracking number
        .order_by(ExtensionRequest.requested_at)
    )
    if not actor.is_coordinator:
        if actor.role is not Role.head:
            return []
        query = query.where(Complaint.department_id == actor.department_id)
    return list(db.session.scalars(query.limit(100)))


def requests_for(complaint_id: int) -> list[ExtensionRequest]:
    """Every extension request of a case, decided or not."""
    return list(
        db.session.scalars(
            select(ExtensionRequest).where(ExtensionRequest.complaint_id == complaint_id)
        )
    )
