"""Complaint deadlines: working-day limits in China Standard Time, pauses, extension, cap."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ..complaints.categories import (
    ACCEPT_WORKDAYS,
    COMPLETE_WORKDAYS,
    URGENT_ACCEPT_WORKDAYS,
    URGENT_COMPLETE_WORKDAYS,
)
from ..core.clock import LOCAL_TZ
from ..core.workdays import CalendarYearUnknown, WorkingCalendar

_END_OF_DAY = time(23, 59, 59, 999999)


@dataclass(frozen=True)
class Sla:
    """Time limits for one class of case; the defaults are the portal's (DOMAIN §9)."""

    accept_workdays: int = ACCEPT_WORKDAYS
    complete_workdays: int = COMPLETE_WORKDAYS
    max_extension_days: int = 30
    # 《信访工作条例》 Art.34: 60 days, extended at most 30, counted in calendar days.
    statutory_days: int = 60
    statutory_extension_days: int = 30


URGENT = Sla(accept_workdays=URGENT_ACCEPT_WORKDAYS, complete_workdays=URGENT_COMPLETE_WORKDAYS)


@dataclass(frozen=True)
class Pause:
    """A stretch while the case waited on the reporter; end None means it still waits."""

    start: datetime
    end: datetime | None


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware datetime.

    Raises:
        ValueError: the datetime is naive, so its local date is a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware UTC datetime")
    return moment.astimezone(LOCAL_TZ).date()


def end_of_local_day(day: date) -> datetime:
    """The last instant of a China Standard Time day, as an aware UTC datetime."""
    return datetime.combine(day, _END_OF_DAY, tzinfo=LOCAL_TZ).astimezone(UTC)


def start_of_local_day(day: date) -> datetime:
    """The first instant of a China Standard Time day, as an aware UTC datetime."""
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ).astimezone(UTC)


def accept_due(received_at: datetime, sla: Sla, cal: WorkingCalendar) -> datetime:
    """When the case must be accepted or rejected: end of the n-th working day after receipt.

    Raises:
        ValueError: received_at is naive.
        CalendarYearUnknown: the deadline falls in a year nobody has entered.
    """
    return end_of_local_day(cal.add_workdays(local_date(received_at), sla.accept_workdays))


def complete_due(
    received_at: datetime,
    sla: Sla,
    cal: WorkingCalendar,
    *,
    pauses: Iterable[Pause] = (),
    extension_days: int = 0,
    now: datetime | None = None,
) -> datetime:
    """When the case must be resolved: working days plus paused time and extension, capped.

    A working day counts as paused when the case was waiting on the reporter at the end
    of it, so a pause opened and closed on the same day moves nothing. An open pause is
    taken to end at `now`: the result is the deadline if the reporter replied now, and it
    only moves later while the wait goes on. A pause that begins after the deadline has
    passed gives no time back.

    Raises:
        ValueError: extension_days is negative or above sla.max_extension_days; a datetime
            is naive; a pause ends before it starts; a pause is open and now is None.
        CalendarYearUnknown: the deadline falls in a year nobody has entered.
    """
    if not 0 <= extension_days <= sla.max_extension_days:
        raise ValueError(
            f"extension of {extension_days} days: allowed 0 to {sla.max_extension_days}"
        )
    received = local_date(received_at)
    statutory = sla.statutory_days + (sla.statutory_extension_days if extension_days else 0)
    cap = received + timedelta(days=statutory)
    spans = _paused_spans(pauses, after=received, now=now)
    try:
        due = cal.add_workdays(received, sla.complete_workdays)
        for start, end in spans:
            if start > due:
                break
            # Each paused working day hands one working day back; the spans are merged
            # and sorted, so shifting one after another equals stopping the clock.
            due = cal.add_workdays(due, cal.count_workdays(start, end))
    except CalendarYearUnknown as exc:
        # The walk only needs a year once the uncapped deadline lies in it; if the
        # statutory cap comes first, the unknown year cannot change the answer.
        if cap >= date(exc.year, 1, 1):
            raise
        return end_of_local_day(cap)
    return end_of_local_day(min(due + timedelta(days=extension_days), cap))


def _paused_spans(
    pauses: Iterable[Pause], *, after: date, now: datetime | None
) -> list[tuple[date, date]]:
    """Pauses as merged, sorted local-day ranges [start, end) that lie after `after`.

    Raises:
        ValueError: a pause ends before it starts, or is open and now is None.
    """
    spans = []
    for pause in pauses:
        end = pause.end
        if end is None:
            if now is None:
                raise ValueError("an open pause needs `now` to say how long it has lasted")
            end = now
        if end < pause.start:
            raise ValueError(f"pause ends before it starts: {pause!r}")
        # The receipt day is never counted (the clock starts the day after), so neither
        # is time paused on or before it.
        start_day = max(local_date(pause.start), after + timedelta(days=1))
        end_day = local_date(end)
        if start_day < end_day:
            spans.append((start_day, end_day))
    spans.sort()
    merged: list[tuple[date, date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def warn_at(due: datetime, cal: WorkingCalendar) -> datetime:
    """When to warn: the start of the working day before the due day.

    Raises:
        ValueError: due is naive.
        CalendarYearUnknown: that working day lies in a year nobody has entered.
    """
    return start_of_local_day(cal.add_workdays(local_date(due), -1))


def is_overdue(due: datetime, now: datetime) -> bool:
    """Whether the deadline has passed at `now`."""
    return now > due
