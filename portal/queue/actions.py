"""Acting on a case: the workflow actions, notes, and what the reporter's answers change.

Every state change goes through `act`, which checks the pure transition table and the
actor's right to act on this case, runs the action's handler, records a hash-chained
event and tells the people concerned through the outbox. Services flush; views commit.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..agencies.models import Department, StaffMember
from ..complaints.events import append_event
from ..complaints.labels import TRANSFER_MARK
from ..complaints.models import ActorKind, Complaint, ComplaintStatus, EventKind
from ..core.errors import UserError
from ..extensions import db
from . import states
from .access import available_actions, handles
from .calendar import load_calendar, recompute_deadlines
from .models import Pause
from .notices import notify_department, notify_reporter
from .placement import assisting_ids, set_assisting

A = states.Action


@dataclass
class ActInput:
    action: states.Action
    message: str = ""
    department_id: int | None = None
    merge_into: int | None = None


# What each action changes on the case before its event is recorded; the transition
# itself (the status) is the event's. Each handler may refuse with a UserError.
Handler = Callable[[StaffMember, Complaint, ActInput, datetime], None]


def _transfer(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    department = db.session.get(Department, data.department_id) if data.department_id else None
    if department is None or department.id == complaint.department_id:
        raise UserError(_("Choose the department to transfer to."))
    complaint.department_id = department.id
    complaint.accepted_at = None
    # The new lead stops assisting; the acceptance clock restarts with the transfer.
    set_assisting(complaint, assisting_ids(complaint.id))
    recompute_deadlines(complaint, load_calendar(), now, accept_from=now)


def _merge(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    target = db.session.get(Complaint, data.merge_into) if data.merge_into else None
    if target is None or target.id == complaint.id or not target.is_open:
        raise UserError(_("Choose an open case to merge into."))
    complaint.merged_into_id = target.id
    target.supporters = (target.supporters or 0) + 1 + (complaint.supporters or 0)
    append_event(
        target,
        EventKind.merged_in,
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        message=complaint.tracking_no or "",
        public=True,
    )
    notify_reporter(target, "merged_in", now, other=complaint.tracking_no)


def _accept(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    complaint.accepted_at = now


def _ask_reporter(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    # The completion clock stops until the reporter answers (on_information_added).
    complaint.paused_at = now
    db.session.add(Pause(complaint_id=complaint.id, started_at=now))


def _resolve(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    complaint.resolved_at = now


def _close(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    complaint.closed_at = now


def _reopen(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    complaint.resolved_at = complaint.closed_at = None


def _status_only(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    """The event's new status is the whole change."""


HANDLERS: dict[states.Action, Handler] = {
    A.accept: _accept,
    A.reject: _status_only,
    A.transfer: _transfer,
    A.start: _status_only,
    A.ask_reporter: _ask_reporter,
    A.reporter_replied: _status_only,
    A.resolve: _resolve,
    A.close: _close,
    A.dispute: _status_only,
    A.reopen: _reopen,
    A.merge: _merge,
}

# Actions whose message the public timeline shows (the reply, the reason for a rejection).
PUBLIC_ACTIONS = frozenset(
    {A.accept, A.reject, A.transfer, A.start, A.resolve, A.close, A.reopen, A.merge, A.ask_reporter}
)
REPORTER_NOTICES = frozenset({A.accept, A.reject, A.transfer, A.resolve, A.ask_reporter, A.merge})
# The email the (new) lead department gets after the action, by action.
DEPARTMENT_NOTICES = {A.transfer: "transferred"}


def act(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    """Apply one workflow action, with its event, deadlines and notifications.

    Raises:
        UserError: not allowed for this actor or in this state, or a reason is missing.
    """
    action = data.action
    if action not in available_actions(actor, complaint):
        raise UserError(_("This action is not available for this case."))
    message = (data.message or "").strip()
    if action in states.REQUIRES_REASON and not message:
        raise UserError(_("Give a reason."))
    if action in states.REQUIRES_PUBLIC_REPLY and not message:
        raise UserError(_("Write the public reply to the reporter."))
    target = states.next_status(complaint.status.value, action)
    HANDLERS[action](actor, complaint, data, now)
    recorded = message
    if action is A.transfer:
        # The timeline names the new department (event_line reads this first line).
        recorded = (
            f"{TRANSFER_MARK}{db.session.get(Department, complaint.department_id).name}\n{message}"
        )
    append_event(
        complaint,
        EventKind(action.value),
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        message=recorded,
        public=action in PUBLIC_ACTIONS,
        to_status=ComplaintStatus(target),
    )
    if action in DEPARTMENT_NOTICES:
        notify_department(complaint.department_id, complaint, DEPARTMENT_NOTICES[action], now)
    if action in REPORTER_NOTICES:
        notify_reporter(complaint, action.value, now, message=message)


def add_note(
    actor: StaffMember, complaint: Complaint, text: str, *, public: bool, now: datetime
) -> None:
    """An internal note (any department on the case) or a public reply (handling side only).

    Raises:
        UserError: empty text, or a public reply from a department that only assists.
    """
    text = text.strip()
    if not text:
        raise UserError(_("Write the note."))
    if public and not handles(actor, complaint):
        raise UserError(_("Only the handling department replies to the reporter."))
    kind = (
        EventKind.reply
        if public
        else (EventKind.note if handles(actor, complaint) else EventKind.assist_note)
    )
    append_event(
        complaint,
        kind,
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        message=text,
        public=public,
    )
    if public:
        notify_reporter(complaint, "reply", now, message=text)


# --- What the reporter's side changes (complaints signals, connected in hooks.py) -------


def on_information_added(complaint: Complaint, now: datetime, resumed: bool) -> None:
    """The reporter answered: close an open pause and move the deadlines by its length."""
    if complaint.paused_at is None:
        return
    pause = db.session.scalars(
        select(Pause).where(Pause.complaint_id == complaint.id, Pause.ended_at.is_(None))
    ).first()
    if pause is not None:
        pause.ended_at = now
    complaint.paused_at = None
    db.session.flush()
    recompute_deadlines(complaint, load_calendar(), now)


def on_reopened(complaint: Complaint, now: datetime) -> None:
    """A disputed case goes back to its department, which must act again."""
    complaint.resolved_at = None
    notify_department(complaint.department_id, complaint, "reopened", now)
