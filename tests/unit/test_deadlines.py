from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.core.workdays import CalendarYearUnknown, WorkingCalendar
from portal.queue.deadlines import (
    URGENT,
    Pause,
    Sla,
    accept_due,
    complete_due,
    is_overdue,
    warn_at,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NORMAL = Sla()
CAL = WorkingCalendar()


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """An instant given as Shanghai wall time, returned as aware UTC like the database does."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime.combine(date(y, m, d), time.max, tzinfo=SHANGHAI).astimezone(UTC)


# Monday 2 March 2026, an ordinary week; 15 working days later is Monday 23 March.
MARCH_2 = local(2026, 3, 2, 10)


def test_sla_defaults_are_the_portal_defaults():
    assert (NORMAL.accept_workdays, NORMAL.complete_workdays) == (2, 15)
    assert (URGENT.accept_workdays, URGENT.complete_workdays) == (1, 5)
    assert (URGENT.max_extension_days, URGENT.statutory_days) == (30, 60)


def test_deadline_is_the_end_of_the_local_day_in_utc():
    due = accept_due(local(2026, 2, 13, 20), NORMAL, CAL)
    assert due == datetime(2026, 2, 24, 15, 59, 59, 999999, tzinfo=UTC)
    assert due.utcoffset() == timedelta(0)
    assert due.astimezone(SHANGHAI).time() == time.max


def test_friday_evening_before_spring_festival_normal_case():
    received = local(2026, 2, 13, 20)  # Friday; Saturday 14 is a make-up working day
    assert accept_due(received, NORMAL, CAL) == end_of(2026, 2, 24)
    assert complete_due(received, NORMAL, CAL) == end_of(2026, 3, 12)


def test_friday_evening_before_spring_festival_urgent_case_is_due_on_make_up_saturday():
    received = local(2026, 2, 13, 20)
    assert accept_due(received, URGENT, CAL) == end_of(2026, 2, 14)
    assert complete_due(received, URGENT, CAL) == end_of(2026, 2, 27)


def test_receipt_day_is_the_shanghai_date_not_the_utc_date():
    # 16:30 UTC on Friday is 00:30 on Saturday 14 February in Shanghai, a make-up working day.
    received = datetime(2026, 2, 13, 16, 30, tzinfo=UTC)
    assert accept_due(received, NORMAL, CAL) == end_of(2026, 2, 25)
    assert accept_due(received, URGENT, CAL) == end_of(2026, 2, 24)


def test_received_on_eve_of_national_day():
    received = local(2026, 9, 30, 21)
    assert accept_due(received, URGENT, CAL) == end_of(2026, 10, 8)
    assert accept_due(received, NORMAL, CAL) == end_of(2026, 10, 9)
    # Working days from 1 Oct: 8, 9, 10 (make-up Saturday), 12, 13.
    assert complete_due(received, URGENT, CAL) == end_of(2026, 10, 13)


def test_ordinary_complete_deadline():
    assert complete_due(MARCH_2, NORMAL, CAL) == end_of(2026, 3, 23)


def test_pause_of_three_working_days_moves_the_deadline_three_working_days():
    pause = Pause(local(2026, 3, 10, 9), local(2026, 3, 13, 11))  # waiting Tue, Wed, Thu
    due = complete_due(MARCH_2, NORMAL, CAL, pauses=[pause])
    assert due == end_of(2026, 3, 26)
    assert due.astimezone(SHANGHAI).date() == CAL.add_workdays(date(2026, 3, 23), 3)


def test_pause_over_a_weekend_counts_only_the_working_day_it_stopped():
    pause = Pause(local(2026, 3, 6, 16), local(2026, 3, 9, 9))  # Friday afternoon to Monday
    assert complete_due(MARCH_2, NORMAL, CAL, pauses=[pause]) == end_of(2026, 3, 24)


def test_pause_within_one_day_moves_nothing():
    pause = Pause(local(2026, 3, 10, 9), local(2026, 3, 10, 17))
    assert complete_due(MARCH_2, NORMAL, CAL, pauses=[pause]) == end_of(2026, 3, 23)


def test_overlapping_pauses_are_not_counted_twice():
    pauses = [
        Pause(local(2026, 3, 11, 9), local(2026, 3, 12, 9)),
        Pause(local(2026, 3, 10, 9), local(2026, 3, 13, 11)),
    ]
    assert complete_due(MARCH_2, NORMAL, CAL, pauses=pauses) == end_of(2026, 3, 26)


def test_pause_begun_after_the_deadline_gives_no_time_back():
    pause = Pause(local(2026, 3, 24, 9), local(2026, 3, 30, 9))
    assert complete_due(MARCH_2, NORMAL, CAL, pauses=[pause]) == end_of(2026, 3, 23)


def test_pause_running_past_the_deadline_restarts_the_remaining_days_after_it():
    # Waiting from Friday 20 (two working days left: 20 and 23) until Wednesday 25.
    pause = Pause(local(2026, 3, 20, 9), local(2026, 3, 25, 9))
    assert complete_due(MARCH_2, NORMAL, CAL, pauses=[pause]) == end_of(2026, 3, 26)


def test_open_pause_counts_until_now_and_the_deadline_only_moves_later():
    pause = Pause(local(2026, 3, 10, 9), None)
    on_thursday = complete_due(MARCH_2, NORMAL, CAL, pauses=[pause], now=local(2026, 3, 12, 15))
    a_week_on = complete_due(MARCH_2, NORMAL, CAL, pauses=[pause], now=local(2026, 3, 16, 15))
    assert on_thursday == end_of(2026, 3, 25)  # Tue and Wed paused
    assert a_week_on == end_of(2026, 3, 27)  # Tue to Fri paused
    assert not is_overdue(a_week_on, local(2026, 3, 16, 15))


def test_open_pause_without_now_is_refused():
    with pytest.raises(ValueError, match="now"):
        complete_due(MARCH_2, NORMAL, CAL, pauses=[Pause(local(2026, 3, 10, 9), None)])


def test_pause_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        complete_due(
            MARCH_2, NORMAL, CAL, pauses=[Pause(local(2026, 3, 10, 9), local(2026, 3, 9, 9))]
        )


def test_extension_adds_calendar_days():
    assert complete_due(MARCH_2, NORMAL, CAL, extension_days=10) == end_of(2026, 4, 2)
    assert complete_due(MARCH_2, NORMAL, CAL, extension_days=30) == end_of(2026, 4, 22)


@pytest.mark.parametrize("days", [31, -1])
def test_extension_outside_zero_to_thirty_days_is_refused(days):
    with pytest.raises(ValueError, match="extension"):
        complete_due(MARCH_2, NORMAL, CAL, extension_days=days)


def test_statutory_cap_of_60_days_bites_a_long_pause():
    pause = Pause(local(2026, 3, 3, 9), local(2026, 6, 1, 9))
    assert complete_due(MARCH_2, NORMAL, CAL, pauses=[pause]) == end_of(2026, 5, 1)


def test_statutory_cap_grows_by_30_days_with_an_extension():
    pause = Pause(local(2026, 3, 3, 9), local(2026, 8, 1, 9))
    due = complete_due(MARCH_2, NORMAL, CAL, pauses=[pause], extension_days=10)
    assert due == end_of(2026, 5, 31)


def test_statutory_cap_bites_a_generous_sla():
    generous = Sla(complete_workdays=50)
    assert complete_due(MARCH_2, generous, CAL) == end_of(2026, 5, 1)


def test_deadline_in_2027_without_an_entry_raises():
    received = local(2026, 12, 20, 10)
    with pytest.raises(CalendarYearUnknown) as raised:
        complete_due(received, NORMAL, CAL)
    assert raised.value.year == 2027
    with pytest.raises(CalendarYearUnknown):
        accept_due(local(2026, 12, 31, 10), NORMAL, CAL)


def test_deadline_in_2027_works_once_the_coordinator_enters_the_year():
    cal = WorkingCalendar({date(2027, 1, 1): False}, override_years={2027})
    # From Sunday 20 Dec: 21-25, 28-31 (9), then 4-8 Jan (14) and Monday 11 Jan (15).
    assert complete_due(local(2026, 12, 20, 10), NORMAL, cal) == end_of(2027, 1, 11)


def test_unknown_year_beyond_the_statutory_cap_does_not_matter():
    # Paused from September into late December: the uncapped deadline is in 2027, but
    # the 60-day cap (31 October) comes first, so nobody needs the 2027 calendar.
    pause = Pause(local(2026, 9, 2, 9), None)
    due = complete_due(
        local(2026, 9, 1, 10), NORMAL, CAL, pauses=[pause], now=local(2026, 12, 30, 9)
    )
    assert due == end_of(2026, 10, 31)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        accept_due(datetime(2026, 3, 2, 10), NORMAL, CAL)


def test_warning_starts_on_the_working_day_before_the_due_day():
    # Due Tuesday 24 Feb 2026: the working day before is the make-up Saturday 14 Feb.
    warn = warn_at(end_of(2026, 2, 24), CAL)
    assert warn == datetime(2026, 2, 14, tzinfo=SHANGHAI).astimezone(UTC)
    assert warn == datetime(2026, 2, 13, 16, tzinfo=UTC)
    assert warn_at(end_of(2026, 3, 23), CAL) == local(2026, 3, 20)


def test_overdue_only_after_the_last_instant():
    due = end_of(2026, 3, 23)
    assert not is_overdue(due, due)
    assert is_overdue(due, due + timedelta(microseconds=1))
    assert not is_overdue(due, local(2026, 3, 23, 23, 59))
