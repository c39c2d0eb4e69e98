"""The working calendar and the deadlines of cases: load it, store deadlines, recompute.

The coordinator's holidays page changes the calendar here (an override day, a year marked
entered); every change recomputes the open cases it may move. Services flush; the view
commits.
"""

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..complaints.models import Complaint, ComplaintCategory
from ..core.workdays import CalendarYearUnknown, WorkingCalendar
from ..extensions import db
from . import deadlines
from .models import CalendarOverride, CalendarYear, Pause

# How far ahead to look for years nobody has entered: a 15-working-day case plus a
# 30-day extension and pauses ends well within four months.
CALENDAR_HORIZON = timedelta(days=120)
# Cases recomputed per query after a calendar change (constant memory on a big queue).
RECOMPUTE_BATCH = 200


def load_calendar() -> WorkingCalendar:
    """The working calendar: chinesecalendar plus the coordinator's overrides (one query each)."""
    overrides = {row.day: row.is_workday for row in db.session.scalars(select(CalendarOverride))}
    years = set(db.session.scalars(select(CalendarYear.year)))
    return WorkingCalendar(overrides, override_years=years)


def years_at_risk(today: date) -> list[int]:
    """Years deadlines may soon reach whose holidays nobody has entered."""
    return sorted(load_calendar().unknown_years(today, today + CALENDAR_HORIZON))


def calendar_gaps(now: datetime) -> list[int]:
    """Years deadlines may soon reach whose holidays nobody has entered (warn the staff)."""
    return years_at_risk(deadlines.local_date(now))


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


# --- Changing the calendar ---------------------------------------------------------------


@dataclass
class RecomputeReport:
    updated: int = 0  # open cases whose deadlines changed
    undated: int = 0  # open cases still without a deadline (their year is unknown)


def recompute_open_deadlines(
    since: date, now: datetime, *, batch: int = RECOMPUTE_BATCH
) -> RecomputeReport:
    """Recompute every open case a calendar change from `since` on may move; services flush.

    A deadline before `since` only counts days before it, so it cannot move; cases
    without a deadline are always retried, as the change may be the missing year.
    """
    cal = load_calendar()
    start = deadlines.start_of_local_day(since)
    affected = or_(
        Complaint.complete_due_at.is_(None),
        Complaint.complete_due_at >= start,
        Complaint.accept_due_at >= start,
    )
    report = RecomputeReport()
    after = 0
    while True:
        cases = db.session.scalars(
            select(Complaint)
            .where(Complaint.is_open.is_(True), affected, Complaint.id > after)
            .options(joinedload(Complaint.category))
            .order_by(Complaint.id)
            .limit(batch)
        ).all()
        if not cases:
            return report
        for complaint in cases:
            before = (complaint.accept_due_at, complaint.complete_due_at)
            known = recompute_deadlines(complaint, cal, now)
            if (complaint.accept_due_at, complaint.complete_due_at) != before:
                report.updated += 1
                if complaint.complete_due_at != before[1]:
                    complaint.warned_at = None  # warn again before the new deadline
            if not known:
                report.undated += 1
        db.session.flush()
        after = cases[-1].id


def set_calendar_day(day: date, *, is_workday: bool, note: str, now: datetime) -> RecomputeReport:
    """Declare a day a holiday or a working day (or change what it was declared); recompute."""
    override = db.session.get(CalendarOverride, day)
    if override is None:
        override = CalendarOverride(day=day)
        db.session.add(override)
    override.is_workday = is_workday
    override.note = note
    db.session.flush()
    return recompute_open_deadlines(day, now)


def remove_calendar_day(override: CalendarOverride, now: datetime) -> RecomputeReport:
    """Remove an override: the day is again what chinesecalendar (or the weekday) says."""
    day = override.day
    db.session.delete(override)
    db.session.flush()
    return recompute_open_deadlines(day, now)


def enter_year(year: int, now: datetime) -> RecomputeReport:
    """Declare a year's holidays completely entered: its other days follow the weekdays."""
    if db.session.get(CalendarYear, year) is None:
        db.session.add(CalendarYear(year=year))
        db.session.flush()
    return recompute_open_deadlines(date(year, 1, 1), now)


def withdraw_year(row: CalendarYear, now: datetime) -> RecomputeReport:
    """Withdraw a year's mark: deadlines reaching it are left empty again."""
    year = row.year
    db.session.delete(row)
    db.session.flush()
    return recompute_open_deadlines(date(year, 1, 1), now)


@dataclass
class YearStatus:
    year: int
    built_in: bool  # chinesecalendar knows its holidays
    entered: bool  # the coordinator marked it entered


def calendar_overview(today: date) -> dict:
    """What the holidays page shows: year coverage, years at risk, overrides by year."""
    entered = set(db.session.scalars(select(CalendarYear.year)))
    library = WorkingCalendar()  # no overrides: what chinesecalendar alone knows
    years = sorted({today.year, today.year + 1} | entered)
    statuses = [
        YearStatus(y, not library.unknown_years(date(y, 1, 1), date(y, 1, 1)), y in entered)
        for y in years
    ]
    overrides = db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day))
    by_year = [(y, list(rows)) for y, rows in itertools.groupby(overrides, lambda o: o.day.year)]
    undated = db.session.scalar(
        select(func.count(Complaint.id)).where(
            Complaint.is_open.is_(True), Complaint.complete_due_at.is_(None)
        )
    )
    return {
        "years": statuses,
        "missing_years": years_at_risk(today),
        "overrides_by_year": by_year,
        "undated": undated or 0,
    }


# --- What the queue shows of a deadline ------------------------------------------------------

# At most this many working days left (today included) is "due soon".
DUE_SOON_WORKDAYS = 2


@dataclass
class DeadlineState:
    """The deadline that applies now (accept or complete), and how close it is."""

    kind: str  # "accept", "complete", "paused", "undated" or "closed"
    due: datetime | None = None
    workdays_left: int | None = None  # today included; negative: working days overdue
    state: str = "ok"  # "ok", "due_soon", "overdue"


def deadline_state(complaint: Complaint, now: datetime, cal: WorkingCalendar) -> DeadlineState:
    """Which deadline a case faces (acceptance until accepted, then completion) and the
    working days left to it."""
    if not complaint.is_open:
        return DeadlineState("closed")
    if complaint.paused_at is not None:
        return DeadlineState("paused")
    if complaint.accepted_at is None and complaint.accept_due_at is not None:
        kind, due = "accept", complaint.accept_due_at
    elif complaint.complete_due_at is not None:
        kind, due = "complete", complaint.complete_due_at
    else:
        return DeadlineState("undated")
    today, due_day = deadlines.local_date(now), deadlines.local_date(due)
    try:
        if due < now:
            late = cal.count_workdays(due_day + timedelta(days=1), today + timedelta(days=1))
            return DeadlineState(kind, due, -late, "overdue")
        left = cal.count_workdays(today, due_day + timedelta(days=1))
    except CalendarYearUnknown:
        return DeadlineState(kind, due, None, "ok")
    return DeadlineState(kind, due, left, "due_soon" if left <= DUE_SOON_WORKDAYS else "ok")
