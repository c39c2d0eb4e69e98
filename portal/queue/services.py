"""Case handling: routing, deadlines, state changes, notes, extensions, the cron tick.

Every state change goes through `act`, which checks the pure transition table, the
actor's right to act on this case, records a hash-chained event and tells the people
concerned through the outbox. Services flush; views and commands commit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..agencies.models import Department, Role, StaffMember
from ..complaints.models import (
    ActorKind,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    Reporter,
)
from ..complaints.services import append_event
from ..core.workdays import CalendarYearUnknown, WorkingCalendar
from ..extensions import db
from ..geo.models import Region
from ..notify import services as notify
from ..urls import public_url
from . import deadlines, states
from .models import (
    CalendarOverride,
    CalendarYear,
    ExtensionRequest,
    Pause,
    RoutingRule,
    case_assisting,
)
from .routing import NoRouteError, Rule, choose_route

S = ComplaintStatus
A = states.Action


class QueueError(ValueError):
    """An action that cannot be done; `message` is translated for the staff member."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- Calendar and deadlines --------------------------------------------------------------


def load_calendar() -> WorkingCalendar:
    """The working calendar: chinesecalendar plus the coordinator's overrides (one query each)."""
    overrides = {row.day: row.is_workday for row in db.session.scalars(select(CalendarOverride))}
    years = set(db.session.scalars(select(CalendarYear.year)))
    return WorkingCalendar(overrides, override_years=years)


# How far ahead deadlines can reach: 60 + 30 statutory days, rounded up.
CALENDAR_HORIZON = timedelta(days=100)


def calendar_gaps(now: datetime) -> list[int]:
    """Years deadlines may soon reach whose holidays nobody has entered (warn the staff)."""
    today = deadlines.local_date(now)
    return sorted(load_calendar().unknown_years(today, today + CALENDAR_HORIZON))


def sla_for(category: ComplaintCategory) -> deadlines.Sla:
    """The service levels of a category (working days to accept and to complete)."""
    return deadlines.Sla(
        accept_workdays=category.accept_workdays, complete_workdays=category.complete_workdays
    )


def _pauses(complaint: Complaint) -> list[deadlines.Pause]:
    rows = db.session.scalars(
        select(Pause).where(Pause.complaint_id == complaint.id).order_by(Pause.started_at)
    )
    return [deadlines.Pause(p.started_at, p.ended_at) for p in rows]


def recompute_deadlines(
    complaint: Complaint,
    cal: WorkingCalendar,
    now: datetime,
    *,
    accept_from: datetime | None = None,
) -> bool:
    """Store the case's deadlines again after any change; False if the calendar cannot tell.

    `accept_from` restarts the acceptance clock (a transfer); otherwise it runs from the
    last restart or from receipt. A deadline in a year nobody has entered holidays for is
    left empty and the queue warns: guessing would mislead both staff and reporter.
    """
    if accept_from is not None:
        complaint.accept_clock_from = accept_from
    sla = sla_for(complaint.category)
    known = True
    try:
        complaint.accept_due_at = deadlines.accept_due(
            complaint.accept_clock_from or complaint.created_at, sla, cal
        )
    except CalendarYearUnknown:
        complaint.accept_due_at, known = None, False
    try:
        complaint.complete_due_at = deadlines.complete_due(
            complaint.created_at,
            sla,
            cal,
            pauses=_pauses(complaint),
            extension_days=complaint.extension_days,
            now=now,
        )
    except CalendarYearUnknown:
        complaint.complete_due_at, known = None, False
    return known


# --- Routing -----------------------------------------------------------------------------


def _region_chain(region_id: int | None) -> list[str]:
    chain: list[str] = []
    seen = 0
    while region_id is not None and seen < 8:
        region = db.session.get(Region, region_id)
        if region is None:
            break
        chain.append(region.code)
        region_id, seen = region.parent_id, seen + 1
    return chain


def _rules() -> list[Rule]:
    rows = db.session.scalars(select(RoutingRule).options(selectinload(RoutingRule.assisting)))
    return [
        Rule(
            id=r.id,
            lead_department_id=r.lead_department_id,
            category=r.category_code,
            outfall_type=r.outfall_type,
            region_codes=frozenset({r.region_code}) if r.region_code else frozenset(),
            assisting=tuple(d.id for d in r.assisting),
        )
        for r in rows
    ]


def route(complaint: Complaint, now: datetime) -> None:
    """Place a new case with its lead department, or on the coordinator's triage list."""
    outfall = complaint.outfall
    complaint.region_id = outfall.region_id if outfall else None
    complaint.urgent = complaint.category.urgent
    cal = load_calendar()
    recompute_deadlines(complaint, cal, now)
    try:
        found = choose_route(
            _rules(),
            category=complaint.category.code,
            outfall_type=outfall.category_l1.value if outfall else None,
            region_chain=_region_chain(complaint.region_id),
        )
    except NoRouteError:
        # Never dropped: what no rule places waits on the coordinator's triage list.
        append_event(complaint, "triage", now, actor_kind=ActorKind.system, public=False)
        _notify_department(None, complaint, "assigned", now)
        return
    complaint.department_id = found.lead
    complaint.routing_rule_id = found.rule_id
    _set_assisting(complaint, found.assisting)
    append_event(
        complaint,
        "routed",
        now,
        actor_kind=ActorKind.system,
        message=_department_name(found.lead),
        public=True,
    )
    _notify_department(found.lead, complaint, "assigned", now)


def _set_assisting(complaint: Complaint, department_ids) -> None:
    db.session.execute(case_assisting.delete().where(case_assisting.c.complaint_id == complaint.id))
    ids = [d for d in dict.fromkeys(department_ids) if d != complaint.department_id]
    if ids:
        db.session.execute(
            case_assisting.insert(),
            [{"complaint_id": complaint.id, "department_id": d} for d in ids],
        )


def assisting_ids(complaint_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(case_assisting.c.department_id).where(
                case_assisting.c.complaint_id == complaint_id
            )
        )
    )


def _department_name(department_id: int | None) -> str:
    department = db.session.get(Department, department_id) if department_id else None
    return department.name if department else ""


# --- Who may see and do what -------------------------------------------------------------


def visible_to(actor: StaffMember):
    """A WHERE clause: the cases this staff member may see (deny by default)."""
    if actor.is_coordinator:
        return Complaint.id.is_not(None)
    if actor.department_id is None:
        return Complaint.id.is_(None)
    assisted = select(case_assisting.c.complaint_id).where(
        case_assisting.c.department_id == actor.department_id
    )
    return or_(Complaint.department_id == actor.department_id, Complaint.id.in_(assisted))


def case_for(actor: StaffMember, complaint_id: int) -> Complaint | None:
    """One case if this staff member may see it; None otherwise (the view answers 404)."""
    return db.session.scalars(
        select(Complaint)
        .where(Complaint.id == complaint_id, visible_to(actor))
        .options(
            joinedload(Complaint.category),
            joinedload(Complaint.outfall),
            joinedload(Complaint.department),
            selectinload(Complaint.photos),
            selectinload(Complaint.events),
        )
    ).first()


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


def reveal_reporter(actor: StaffMember, complaint: Complaint, now: datetime) -> Reporter | None:
    """The reporter's identity for the handling department; every view is recorded."""
    if not may_see_reporter(actor, complaint):
        return None
    reporter = db.session.get(Reporter, complaint.id)
    if reporter is None or reporter.anonymous:
        return reporter
    append_event(
        complaint,
        "identity_viewed",
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


# --- Acting on a case --------------------------------------------------------------------


@dataclass
class ActInput:
    action: states.Action
    message: str = ""
    department_id: int | None = None
    merge_into: int | None = None


def act(actor: StaffMember, complaint: Complaint, data: ActInput, now: datetime) -> None:
    """Apply one workflow action, with its event, deadlines and notifications.

    Raises:
        QueueError: not allowed for this actor or in this state, or a reason is missing.
    """
    action = data.action
    if action not in available_actions(actor, complaint):
        raise QueueError(_("This action is not available for this case."))
    message = (data.message or "").strip()
    if action in states.REQUIRES_REASON and not message:
        raise QueueError(_("Give a reason."))
    if action in states.REQUIRES_PUBLIC_REPLY and not message:
        raise QueueError(_("Write the public reply to the reporter."))
    target = states.next_status(complaint.status.value, action)
    cal = load_calendar()

    if action is A.transfer:
        department = db.session.get(Department, data.department_id) if data.department_id else None
        if department is None or department.id == complaint.department_id:
            raise QueueError(_("Choose the department to transfer to."))
        complaint.department_id = department.id
        complaint.accepted_at = None
        _set_assisting(complaint, assisting_ids(complaint.id))
        recompute_deadlines(complaint, cal, now, accept_from=now)
    elif action is A.merge:
        merge_target = db.session.get(Complaint, data.merge_into) if data.merge_into else None
        if merge_target is None or merge_target.id == complaint.id or not merge_target.is_open:
            raise QueueError(_("Choose an open case to merge into."))
        complaint.merged_into_id = merge_target.id
        merge_target.supporters = (merge_target.supporters or 0) + 1 + (complaint.supporters or 0)
        append_event(
            merge_target,
            "merged_in",
            now,
            actor_kind=ActorKind.staff,
            actor_id=actor.id,
            message=complaint.tracking_no or "",
            public=True,
        )
        _notify_reporter(merge_target, "merged_in", now, other=complaint.tracking_no)
    elif action is A.accept:
        complaint.accepted_at = now
    elif action is A.ask_reporter:
        complaint.paused_at = now
        db.session.add(Pause(complaint_id=complaint.id, started_at=now))
    elif action is A.resolve:
        complaint.resolved_at = now
    elif action is A.close:
        complaint.closed_at = now
    elif action is A.reopen:
        complaint.resolved_at = complaint.closed_at = None

    public = action in PUBLIC_ACTIONS
    append_event(
        complaint,
        action.value,
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        message=message,
        public=public,
        to_status=S(target),
    )
    if action is A.transfer:
        _notify_department(complaint.department_id, complaint, "transferred", now)
    if action in REPORTER_NOTICES:
        _notify_reporter(complaint, action.value, now, message=message)


# Actions whose message the public timeline shows (the reply, the reason for a rejection).
PUBLIC_ACTIONS = frozenset(
    {A.accept, A.reject, A.transfer, A.start, A.resolve, A.close, A.reopen, A.merge, A.ask_reporter}
)
REPORTER_NOTICES = frozenset({A.accept, A.reject, A.transfer, A.resolve, A.ask_reporter, A.merge})


def add_note(actor: StaffMember, complaint: Complaint, text: str, *, public: bool, now) -> None:
    """An internal note (any department on the case) or a public reply (handling side only).

    Raises:
        QueueError: empty text, or a public reply from a department that only assists.
    """
    text = text.strip()
    if not text:
        raise QueueError(_("Write the note."))
    if public and not handles(actor, complaint):
        raise QueueError(_("Only the handling department replies to the reporter."))
    kind = "reply" if public else ("note" if handles(actor, complaint) else "assist_note")
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
        _notify_reporter(complaint, "reply", now, message=text)


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
    _notify_department(complaint.department_id, complaint, "reopened", now)


# --- Extensions --------------------------------------------------------------------------


def request_extension(actor: StaffMember, complaint: Complaint, days: int, reason: str, now):
    """The handling department asks for more time (one extension, ≤ 30 days, with reason).

    Raises:
        QueueError: not the handling side, already extended or pending, or bad days/reason.
    """
    if not handles(actor, complaint) or not complaint.is_open:
        raise QueueError(_("This action is not available for this case."))
    if complaint.extension_days or db.session.scalar(
        select(func.count())
        .select_from(ExtensionRequest)
        .where(ExtensionRequest.complaint_id == complaint.id, ExtensionRequest.approved.is_(None))
    ):
        raise QueueError(_("A case can be extended once."))
    if not 1 <= days <= deadlines.Sla().max_extension_days or not reason.strip():
        raise QueueError(_("Ask for 1 to 30 days and give the reason."))
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
        "extension_requested",
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        message=f"{days}: {reason.strip()}",
        public=False,
    )
    return request


def decide_extension(actor: StaffMember, request: ExtensionRequest, approve: bool, now) -> None:
    """The department head or the coordinator approves or refuses an extension.

    Raises:
        QueueError: the actor may not decide, or it was decided already.
    """
    complaint = db.session.get(Complaint, request.complaint_id)
    may_decide = actor.is_coordinator or (
        actor.role is Role.head and actor.department_id == complaint.department_id
    )
    if not may_decide or request.approved is not None:
        raise QueueError(_("This action is not available for this case."))
    request.approved, request.decided_by, request.decided_at = approve, actor.id, now
    if approve:
        complaint.extension_days = request.days
        complaint.extension_reason = request.reason
        complaint.warned_at = complaint.escalated_at = None
        recompute_deadlines(complaint, load_calendar(), now)
    append_event(
        complaint,
        "extension_approved" if approve else "extension_refused",
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        message=request.reason if approve else "",
        public=approve,
    )
    if approve:
        _notify_reporter(complaint, "extended", now, message=request.reason)


def pending_extensions(actor: StaffMember) -> list[ExtensionRequest]:
    """Extension requests this actor may decide."""
    query = (
        select(ExtensionRequest)
        .join(Complaint, Complaint.id == ExtensionRequest.complaint_id)
        .where(ExtensionRequest.approved.is_(None))
        .order_by(ExtensionRequest.requested_at)
    )
    if not actor.is_coordinator:
        if actor.role is not Role.head:
            return []
        query = query.where(Complaint.department_id == actor.department_id)
    return list(db.session.scalars(query.limit(100)))


# --- The cron tick -----------------------------------------------------------------------


@dataclass
class TickReport:
    warned: int = 0
    escalated: int = 0
    closed: int = 0


AUTO_CLOSE_AFTER = timedelta(days=7)


def tick(now: datetime, *, batch: int = 500) -> TickReport:
    """Warn before breach, escalate (督办) at breach, close unrated resolved cases after 7 days.

    Idempotent: each case is warned and escalated once per deadline (an extension resets).
    """
    report = TickReport()
    cal = load_calendar()
    due_soon = db.session.scalars(
        select(Complaint)
        .where(
            Complaint.is_open.is_(True),
            Complaint.paused_at.is_(None),
            Complaint.warned_at.is_(None),
            Complaint.complete_due_at.is_not(None),
            Complaint.complete_due_at <= now + timedelta(days=5),
        )
        .limit(batch)
    ).all()
    for complaint in due_soon:
        if (
            now >= deadlines.warn_at(complaint.complete_due_at, cal)
            and now < complaint.complete_due_at
        ):
            complaint.warned_at = now
            append_event(complaint, "warned", now, actor_kind=ActorKind.system, public=False)
            _notify_department(complaint.department_id, complaint, "due_soon", now)
            report.warned += 1
    overdue = db.session.scalars(
        select(Complaint)
        .where(
            Complaint.is_open.is_(True),
            Complaint.paused_at.is_(None),
            Complaint.escalated_at.is_(None),
            or_(
                Complaint.complete_due_at < now,
                and_(Complaint.accepted_at.is_(None), Complaint.accept_due_at < now),
            ),
        )
        .limit(batch)
    ).all()
    for complaint in overdue:
        complaint.escalated_at = now
        append_event(complaint, "escalated", now, actor_kind=ActorKind.system, public=True)
        _notify_escalation(complaint, now)
        report.escalated += 1
    stale = db.session.scalars(
        select(Complaint)
        .where(
            Complaint.status == S.resolved,
            Complaint.rating.is_(None),
            Complaint.resolved_at < now - AUTO_CLOSE_AFTER,
        )
        .limit(batch)
    ).all()
    for complaint in stale:
        complaint.closed_at = now
        append_event(
            complaint,
            "auto_closed",
            now,
            actor_kind=ActorKind.system,
            public=True,
            to_status=S.closed,
        )
        report.closed += 1
    return report


# --- Notifications -----------------------------------------------------------------------


def _staff_emails(department_id: int | None, roles) -> list[str]:
    query = select(StaffMember.email).where(
        StaffMember.active, StaffMember.role.in_(list(roles)), StaffMember.email != ""
    )
    if department_id is not None:
        query = query.where(StaffMember.department_id == department_id)
    return list(dict.fromkeys(db.session.scalars(query)))


def _coordinator_department() -> Department | None:
    return db.session.scalars(select(Department).where(Department.is_coordinator)).first()


def _case_link(complaint: Complaint) -> str:
    return public_url("queue.show_case", complaint_id=complaint.id)


def _notify_department(department_id, complaint: Complaint, kind: str, now) -> None:
    """Email a department's address (the coordinator's for triage) about a case."""
    department = (
        db.session.get(Department, department_id) if department_id else _coordinator_department()
    )
    if department is None or not department.email:
        return
    with force_locale("zh"):
        subjects = {
            "assigned": _("New case %(number)s for your department", number=complaint.tracking_no),
            "transferred": _(
                "Case %(number)s transferred to your department", number=complaint.tracking_no
            ),
            "due_soon": _("Case %(number)s is due tomorrow", number=complaint.tracking_no),
            "reopened": _(
                "Case %(number)s was reopened by the reporter", number=complaint.tracking_no
            ),
        }
        body = render_template(
            "email/case_for_department.txt",
            complaint=complaint,
            kind=kind,
            link=_case_link(complaint),
        )
        notify.enqueue_email(db.session, department.email, subjects[kind], body, now)


def _notify_escalation(complaint: Complaint, now) -> None:
    """At breach: tell the department head and the coordinator (督办)."""
    recipients = _staff_emails(complaint.department_id, [Role.head]) + _staff_emails(
        None, [Role.coordinator]
    )
    coordinator = _coordinator_department()
    if coordinator is not None and coordinator.email:
        recipients.append(coordinator.email)
    with force_locale("zh"):
        subject = _("Overdue: case %(number)s (督办)", number=complaint.tracking_no)
        body = render_template(
            "email/case_for_department.txt",
            complaint=complaint,
            kind="escalated",
            link=_case_link(complaint),
        )
        for address in dict.fromkeys(recipients):
            notify.enqueue_email(db.session, address, subject, body, now)


def _notify_reporter(complaint: Complaint, kind: str, now, *, message: str = "", other=None):
    """Tell a named reporter what happened, in the language they reported in."""
    reporter = db.session.get(Reporter, complaint.id)
    if reporter is None or reporter.anonymous:
        return
    with force_locale(reporter.locale or "zh"):
        subject = _("Update on your report %(number)s", number=complaint.tracking_no)
        if reporter.email:
            body = render_template(
                "email/case_update.txt",
                complaint=complaint,
                kind=kind,
                message=message,
                other=other,
            )
            notify.enqueue_email(db.session, reporter.email, subject, body, now)
        if reporter.phone:
            notify.enqueue_sms(
                db.session,
                reporter.phone,
                _(
                    "Report %(number)s: %(status)s. Details on the portal with your number.",
                    number=complaint.tracking_no,
                    status=str(
                        current_app.jinja_env.globals["labels"]["complaint_status"][
                            complaint.status.value
                        ]
                    ),
                ),
                now,
            )


# --- Audit -------------------------------------------------------------------------------


def verify_audit(batch: int = 5000) -> tuple[str | None, int] | None:
    """The first event whose chain is broken, as (tracking number, seq); None if all hold.

    Walks each case's events in order (keyset pages, constant memory): every event must
    follow the previous one's hash, carry the next sequence number, and hash to itself.
    """
    from ..complaints.services import event_fields
    from ..core.hashchain import chain_hash

    after = (0, 0)
    case_id, prev_hash, prev_seq = None, "", 0
    while True:
        events = db.session.scalars(
            select(ComplaintEvent)
            .where(
                or_(
                    ComplaintEvent.complaint_id > after[0],
                    and_(ComplaintEvent.complaint_id == after[0], ComplaintEvent.seq > after[1]),
                )
            )
            .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
            .limit(batch)
        ).all()
        if not events:
            return None
        for event in events:
            if event.complaint_id != case_id:
                case_id, prev_hash, prev_seq = event.complaint_id, "", 0
            broken = (
                event.seq != prev_seq + 1
                or event.prev_hash != prev_hash
                or chain_hash(event.prev_hash, event_fields(event)) != event.hash
            )
            if broken:
                number = db.session.scalar(
                    select(Complaint.tracking_no).where(Complaint.id == event.complaint_id)
                )
                return number, event.seq
            prev_hash, prev_seq = event.hash, event.seq
        after = (events[-1].complaint_id, events[-1].seq)
        db.session.expunge_all()


# --- Queue pages -------------------------------------------------------------------------


@dataclass
class QueueFilters:
    """Validated queue filters; None means any."""

    state: str | None = None  # a status, or None for every open case
    overdue: bool = False
    due_soon: bool = False
    escalated: bool = False
    category: str | None = None
    outfall: str | None = None
    region: str | None = None
    department: int | None = None
    triage: bool = False

    def as_args(self) -> dict[str, str]:
        out = {}
        for key, value in self.__dict__.items():
            if value is True:
                out[key] = "1"
            elif value not in (None, False, ""):
                out[key] = str(value)
        return out


@dataclass
class QueuePage:
    items: list[Complaint]
    next_after: str | None
    undated: int


def _filtered(query, actor: StaffMember, f: QueueFilters, now: datetime):
    # The list shows the department's own cases (cases it only assists are listed apart by
    # assisted_cases): one department per query keeps the (department, open, due) index usable.
    if actor.is_coordinator:
        query = query.where(visible_to(actor))
    else:
        query = query.where(Complaint.department_id == actor.department_id)
    if f.state:
        query = query.where(Complaint.status == f.state)
    else:
        query = query.where(Complaint.is_open.is_(True))
    if f.triage:
        query = query.where(Complaint.department_id.is_(None))
    elif f.department is not None:
        query = query.where(Complaint.department_id == f.department)
    if f.overdue:
        query = query.where(Complaint.paused_at.is_(None), Complaint.complete_due_at < now)
    if f.due_soon:
        query = query.where(Complaint.complete_due_at.between(now, now + timedelta(days=2)))
    if f.escalated:
        query = query.where(Complaint.escalated_at.is_not(None))
    if f.category:
        query = query.where(
            Complaint.category_id.in_(
                select(ComplaintCategory.id).where(ComplaintCategory.code == f.category)
            )
        )
    if f.outfall:
        from ..outfalls.models import Outfall

        query = query.where(
            Complaint.outfall_id.in_(select(Outfall.id).where(Outfall.code == f.outfall))
        )
    if f.region:
        query = query.where(
            Complaint.region_id.in_(
                select(Region.id).where(
                    (Region.code == f.region)
                    | Region.parent_id.in_(select(Region.id).where(Region.code == f.region))
                )
            )
        )
    return query


def queue_page(
    actor: StaffMember, f: QueueFilters, now: datetime, *, after: str | None, per_page: int = 50
) -> QueuePage:
    """Cases soonest-deadline first, in keyset pages (fast however deep one goes).

    Raises:
        QueueError: a malformed page cursor.
    """
    query = _filtered(select(Complaint), actor, f, now).where(
        Complaint.complete_due_at.is_not(None)
    )
    if after:
        try:
            due_text, id_text = after.rsplit("_", 1)
            due, last_id = datetime.fromisoformat(due_text), int(id_text)
        except ValueError as error:
            raise QueueError(_("This page link is not valid.")) from error
        query = query.where(
            or_(
                Complaint.complete_due_at > due,
                and_(Complaint.complete_due_at == due, Complaint.id > last_id),
            )
        )
    rows = db.session.scalars(
        query.options(
            joinedload(Complaint.category),
            joinedload(Complaint.outfall),
            joinedload(Complaint.department),
        )
        .order_by(Complaint.complete_due_at, Complaint.id)
        .limit(per_page + 1)
    ).all()
    next_after = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        next_after = f"{last.complete_due_at.isoformat()}_{last.id}"
    undated = 0
    if not after:
        undated = (
            db.session.scalar(
                _filtered(select(func.count(Complaint.id)), actor, f, now).where(
                    Complaint.complete_due_at.is_(None)
                )
            )
            or 0
        )
    return QueuePage(list(rows), next_after, undated)


def undated_cases(actor: StaffMember, f: QueueFilters, now, limit: int = 50) -> list[Complaint]:
    """Open cases without a deadline (their year's holidays are not entered yet)."""
    return list(
        db.session.scalars(
            _filtered(select(Complaint), actor, f, now)
            .where(Complaint.complete_due_at.is_(None))
            .options(joinedload(Complaint.category))
            .order_by(Complaint.created_at)
            .limit(limit)
        )
    )


def assisted_cases(actor: StaffMember, limit: int = 50) -> list[Complaint]:
    """Open cases another department leads and the actor's department assists."""
    if actor.department_id is None or actor.is_coordinator:
        return []
    assisted = select(case_assisting.c.complaint_id).where(
        case_assisting.c.department_id == actor.department_id
    )
    return list(
        db.session.scalars(
            select(Complaint)
            .where(Complaint.id.in_(assisted), Complaint.is_open.is_(True))
            .options(joinedload(Complaint.category))
            .order_by(Complaint.complete_due_at, Complaint.id)
            .limit(limit)
        )
    )


@dataclass
class Workload:
    department: Department | None
    open: int
    overdue: int
    escalated: int


def workload(now: datetime) -> list[Workload]:
    """Open, overdue and escalated cases per department (and triage), for the coordinator."""
    overdue = and_(Complaint.paused_at.is_(None), Complaint.complete_due_at < now)
    rows = db.session.execute(
        select(
            Complaint.department_id,
            func.count(),
            func.count().filter(overdue),
            func.count().filter(Complaint.escalated_at.is_not(None)),
        )
        .where(Complaint.is_open.is_(True))
        .group_by(Complaint.department_id)
    ).all()
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    result = [Workload(departments.get(dep), n, late, esc) for dep, n, late, esc in rows]
    return sorted(result, key=lambda w: (w.department is not None, -w.overdue, -w.open))
