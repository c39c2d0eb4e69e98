from datetime import date, timedelta

import chinese_calendar
import pytest

from portal.core.workdays import CalendarYearUnknown, WorkingCalendar

# The State Council's 2026 arrangement as chinesecalendar 1.11.0 records it.
SPRING_FESTIVAL_2026 = [date(2026, 2, 15) + timedelta(i) for i in range(9)]  # Sun 15 .. Mon 23
SPRING_FESTIVAL_2026_MAKE_UP = [date(2026, 2, 14), date(2026, 2, 28)]  # both Saturdays
NATIONAL_DAY_2026 = [date(2026, 10, 1) + timedelta(i) for i in range(7)]  # Thu 1 .. Wed 7
NATIONAL_DAY_2026_MAKE_UP = [date(2026, 9, 20), date(2026, 10, 10)]  # Sunday, Saturday

# A plausible 2027 entry by the coordinator (chinesecalendar 1.11.0 stops at 2026).
NEW_YEAR_2027 = {date(2027, 1, 1): False}  # Friday


def test_library_agrees_with_the_dates_these_tests_assume():
    for d in SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026:
        assert chinese_calendar.is_holiday(d), d
    for d in SPRING_FESTIVAL_2026_MAKE_UP + NATIONAL_DAY_2026_MAKE_UP:
        assert d.weekday() >= 5 and chinese_calendar.is_workday(d), d
    assert chinese_calendar.get_holiday_detail(date(2026, 2, 14)) == (False, "Spring Festival")
    assert chinese_calendar.get_holiday_detail(date(2026, 9, 20)) == (False, "National Day")


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026)
def test_statutory_holidays_of_2026_are_rest_days_even_on_weekdays(day):
    assert not WorkingCalendar().is_workday(day)


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026_MAKE_UP + NATIONAL_DAY_2026_MAKE_UP)
def test_make_up_weekend_days_of_2026_are_working_days(day):
    assert WorkingCalendar().is_workday(day)


def test_ordinary_days_follow_the_week():
    cal = WorkingCalendar()
    assert cal.is_workday(date(2026, 3, 2))  # Monday
    assert not cal.is_workday(date(2026, 3, 1))  # Sunday
    assert not cal.is_workday(date(2026, 3, 7))  # Saturday


def test_override_gives_a_working_day_off():
    cal = WorkingCalendar({date(2026, 3, 3): False})  # a Tuesday, e.g. a local typhoon day
    assert not cal.is_workday(date(2026, 3, 3))
    assert cal.add_workdays(date(2026, 3, 2), 1) == date(2026, 3, 4)


def test_override_turns_a_saturday_into_a_working_day():
    cal = WorkingCalendar({date(2026, 3, 7): True})
    assert cal.is_workday(date(2026, 3, 7))
    assert cal.add_workdays(date(2026, 3, 6), 1) == date(2026, 3, 7)


def test_override_can_undo_a_library_make_up_day():
    cal = WorkingCalendar({date(2026, 2, 14): False})
    assert not cal.is_workday(date(2026, 2, 14))
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 24)


def test_2027_without_an_entry_raises_with_the_year():
    cal = WorkingCalendar()
    with pytest.raises(CalendarYearUnknown) as raised:
        cal.is_workday(date(2027, 3, 1))
    assert raised.value.year == 2027
    assert isinstance(raised.value, ValueError)


def test_years_before_the_library_are_unknown_too():
    with pytest.raises(CalendarYearUnknown):
        WorkingCalendar().is_workday(date(2003, 12, 31))


def test_2027_entered_by_the_coordinator_uses_the_week_and_its_overrides():
    cal = WorkingCalendar(NEW_YEAR_2027 | {date(2027, 2, 6): True}, override_years={2027})
    assert not cal.is_workday(date(2027, 1, 1))  # holiday override on a Friday
    assert cal.is_workday(date(2027, 1, 4))  # Monday
    assert not cal.is_workday(date(2027, 1, 9))  # Saturday
    assert cal.is_workday(date(2027, 2, 6))  # make-up Saturday override


def test_overrides_alone_do_not_make_a_year_known():
    cal = WorkingCalendar(NEW_YEAR_2027)
    assert not cal.is_workday(date(2027, 1, 1))  # the override itself still answers
    assert cal.known(date(2027, 1, 1))
    assert not cal.known(date(2027, 1, 4))
    with pytest.raises(CalendarYearUnknown):
        cal.is_workday(date(2027, 1, 4))


def test_known_and_unknown_years():
    cal = WorkingCalendar(override_years={2028})
    assert cal.known(date(2026, 12, 31))
    assert not cal.known(date(2027, 1, 1))
    assert cal.known(date(2028, 1, 1))
    assert cal.unknown_years(date(2026, 12, 1), date(2029, 1, 1)) == {2027, 2029}
    assert cal.unknown_years(date(2026, 1, 1), date(2026, 12, 31)) == set()


def test_add_workdays_skips_the_spring_festival_week():
    cal = WorkingCalendar()
    # Friday 13 Feb: Saturday 14 is a make-up day, then nine days off until Tuesday 24.
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert cal.add_workdays(date(2026, 2, 14), 5) == date(2026, 2, 28)
    assert cal.add_workdays(date(2026, 2, 14), 6) == date(2026, 3, 2)


def test_add_workdays_skips_national_day_and_counts_its_make_up_saturday():
    cal = WorkingCalendar()
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert cal.add_workdays(date(2026, 9, 30), 4) == date(2026, 10, 12)


def test_add_zero_workdays_is_the_day_itself_or_the_next_working_day():
    cal = WorkingCalendar()
    assert cal.add_workdays(date(2026, 2, 13), 0) == date(2026, 2, 13)
    assert cal.add_workdays(date(2026, 2, 14), 0) == date(2026, 2, 14)  # make-up Saturday
    assert cal.add_workdays(date(2026, 2, 15), 0) == date(2026, 2, 24)


def test_negative_count_goes_back_over_holidays():
    cal = WorkingCalendar()
    assert cal.add_workdays(date(2026, 2, 24), -1) == date(2026, 2, 14)
    assert cal.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert cal.add_workdays(date(2026, 1, 5), -2) == date(2025, 12, 31)


def test_add_workdays_crosses_into_an_entered_year():
    cal = WorkingCalendar(NEW_YEAR_2027, override_years={2027})
    # Thursday 31 Dec 2026, then Friday 1 Jan 2027 off, then Monday 4 Jan.
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_add_workdays_into_an_unentered_year_raises():
    with pytest.raises(CalendarYearUnknown) as raised:
        WorkingCalendar().add_workdays(date(2026, 12, 31), 1)
    assert raised.value.year == 2027


def test_add_workdays_does_not_need_the_next_year_when_the_answer_is_this_year():
    assert WorkingCalendar().add_workdays(date(2026, 12, 30), 1) == date(2026, 12, 31)


def test_add_workdays_matches_a_day_by_day_walk():
    overrides = {date(2025, 12, 27): True, date(2026, 1, 5): False}
    cal = WorkingCalendar(overrides)
    start = date(2025, 12, 20)
    for n in range(1, 60):
        d, left = start, n
        while left:
            d += timedelta(1)
            left -= overrides.get(d, chinese_calendar.is_workday(d))
        assert cal.add_workdays(start, n) == d, n


def test_count_workdays_is_half_open():
    cal = WorkingCalendar()
    assert cal.count_workdays(date(2026, 2, 13), date(2026, 2, 25)) == 3  # 13, 14, 24
    assert cal.count_workdays(date(2026, 2, 15), date(2026, 2, 24)) == 0
    assert cal.count_workdays(date(2026, 3, 2), date(2026, 3, 2)) == 0


def test_count_workdays_up_to_new_year_does_not_need_the_new_year():
    assert WorkingCalendar().count_workdays(date(2026, 12, 28), date(2027, 1, 1)) == 4
