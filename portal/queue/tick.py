"""The cron tick (`flask portal tick`): warn before breach, escalate at breach, auto-close."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from ..complaints.events import append_event
from ..complaints.models import ActorKind, Complaint, ComplaintStatus, EventKind
from ..core.workdays import WorkingCalendar
from ..extensions import db
from . import deadlines, rollup
from .calendar import load_calendar
from .notices import notify_department, notify_escalation

# A resolved case the reporter neither rates nor disputes closes after this long.
AUTO_CLOSE_AFTER = timedelta(days=7)


@dataclass
class TickReport:
    warned: int = 0
    escalated: int = 0
    closed: int = 0
    refreshed: int = 0  # department_months rows recomputed (this month and last)


def tick(now: datetime, *, batch: int = 500) -> TickReport:
    """Warn before breach, escalate (督办) at breach, close unrated resolved cases after 7 days;
    recompute the departments' figures of this month and last (a safety net: they are kept
    current on every change).

    Idempotent: each case is warned and escalated once per deadline (an extension resets).
    """
    return TickReport(
        warned=_warn(now, load_calendar(), batch),
        escalated=_escalate(now, batch),
        closed=_auto_close(now, batch),
        refreshed=rollup.refresh_recent(now),
    )


def _cases(batch: int, *conditions) -> list[Complaint]:
    """Up to `batch` cases meeting every condition (the rest wait for the next tick)."""
    return list(db.session.scalars(select(Complaint).where(*conditions).limit(batch)))


def _warn(now: datetime, cal: WorkingCalendar, batch: int) -> int:
    """Warn the department from the start of the working day before the deadline."""
    due_soon = _cases(
        batch,
        Complaint.is_open.is_(True),
        Complaint.paused_at.is_(None),
        Complaint.warned_at.is_(None),
        Complaint.complete_due_at.is_not(None),
        Complaint.complete_due_at <= now + timedelta(days=5),
    )
    warned = 0
    for complaint in due_soon:
        if (
            now >= deadlines.warn_at(complaint.complete_due_at, cal)
            and now < complaint.complete_due_at
        ):
            complaint.warned_at = now
            append_event(
                complaint, EventKind.warned, now, actor_kind=ActorKind.system, public=False
            )
            notify_department(complaint.department_id, complaint, "due_soon", now)
            warned += 1
    return warned


def _escalate(now: datetime, batch: int) -> int:
    """Escalate a case not accepted or not completed in time to the head and coordinator."""
    overdue = _cases(
        batch,
        Complaint.is_open.is_(True),
        Complaint.paused_at.is_(None),
        Complaint.escalated_at.is_(None),
        or_(
            Complaint.complete_due_at < now,
            and_(Complaint.accepted_at.is_(None), Complaint.accept_due_at < now),
        ),
    )
    for complaint in overdue:
        complaint.escalated_at = now
        append_event(complaint, EventKind.escalated, now, actor_kind=ActorKind.system, public=True)
        notify_escalation(complaint, now)
    return len(overdue)


def _auto_close(now: datetime, batch: int) -> int:
    """Close resolved cases the reporter left unrated for AUTO_CLOSE_AFTER."""
    stale = _cases(
        batch,
        Complaint.status == ComplaintStatus.resolved,
        Complaint.rating.is_(None),
        Complaint.resolved_at < now - AUTO_CLOSE_AFTER,
    )
    for complaint in stale:
        complaint.closed_at = now
        append_event(
            complaint,
            EventKind.auto_closed,
            now,
            actor_kind=ActorKind.system,
            public=True,
            to_status=ComplaintStatus.closed,
        )
    return len(stale)
