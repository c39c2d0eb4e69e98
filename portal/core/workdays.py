"""China's working-day calendar: statutory holidays, 调休 make-up days and local overrides."""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


class CalendarYearUnknown(ValueError):
    """Neither chinesecalendar nor the coordinator's override table covers this year."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no working-day calendar for {year}: enter its holidays as overrides")
        self.year = year


@lru_cache(maxsize=64)
def _library_year(year: int) -> tuple[bool, ...] | None:
    """chinesecalendar's workday flags for each day of the year, or None if it lacks the year."""
    # Process-wide cache: the library's tables never change at run time, while a
    # WorkingCalendar is built per request with that request's overrides.
    first = date(year, 1, 1)
    try:
        chinese_calendar.is_workday(first)
    except NotImplementedError:
        return None
    days = (date(year + 1, 1, 1) - first).days
    return tuple(chinese_calendar.is_workday(first + timedelta(i)) for i in range(days))


@lru_cache(maxsize=64)
def _weekday_year(year: int) -> tuple[bool, ...]:
    """Monday-to-Friday flags for each day of the year, the base of a hand-entered year."""
    first = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - first).days
    return tuple((first + timedelta(i)).weekday() < 5 for i in range(days))


class WorkingCalendar:
    """Working days from chinesecalendar, corrected and extended by the override table."""

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        override_years: Iterable[int] = (),
    ) -> None:
        self._overrides = dict(overrides or {})
        self._overrides_by_year: dict[int, dict[int, bool]] = {}
        for d, working in self._overrides.items():
            self._overrides_by_year.setdefault(d.year, {})[d.toordinal()] = bool(working)
        self._override_years = frozenset(override_years)
        # year -> sorted ordinals of its working days (None: nobody knows that year)
        self._years: dict[int, list[int] | None] = {}

    def _workdays(self, year: int) -> list[int] | None:
        """Sorted ordinals of the year's working days, overrides applied; cached."""
        if year in self._years:
            return self._years[year]
        first = date(year, 1, 1)
        flags = _library_year(year)
        if flags is None:
            if year not in self._override_years:
                self._years[year] = None
                return None
            # A year the coordinator entered by hand: Monday to Friday, then overrides.
            flags = _weekday_year(year)
        base = first.toordinal()
        result = [base + i for i, working in enumerate(flags) if working]
        changed = self._overrides_by_year.get(year)
        if changed:
            kept = {o for o in result if changed.get(o, True)}
            kept.update(o for o, working in changed.items() if working)
            result = sorted(kept)
        self._years[year] = result
        return result

    def _require(self, year: int) -> list[int]:
        """The year's working days.

        Raises:
            CalendarYearUnknown: neither the library nor the override table covers the year.
        """
        days = self._workdays(year)
        if days is None:
            raise CalendarYearUnknown(year)
        return days

    def known(self, d: date) -> bool:
        """Whether the calendar can say if d is a working day."""
        return d in self._overrides or self._workdays(d.year) is not None

    def unknown_years(self, start: date, end: date) -> set[int]:
        """Years between start and end (inclusive) that nobody has entered yet."""
        return {y for y in range(start.year, end.year + 1) if self._workdays(y) is None}

    def is_workday(self, d: date) -> bool:
        """Whether staff work on d: override, else chinesecalendar, else an entered year.

        Raises:
            CalendarYearUnknown: d is not overridden and its year is unknown.
        """
        if d in self._overrides:
            return bool(self._overrides[d])
        days = self._require(d.year)
        i = bisect_left(days, d.toordinal())
        return i < len(days) and days[i] == d.toordinal()

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after start (n=0: start or the next working day; n<0: before).

        Raises:
            CalendarYearUnknown: the count runs into a year nobody has entered.
        """
        o = start.toordinal()
        if n < 0:
            return self._walk_back(o, -n, start.year)
        year = start.year
        days = self._require(year)
        # n=0 may land on start itself; n>=1 counts from the day after start.
        pos = bisect_left(days, o) if n == 0 else bisect_right(days, o)
        skip = max(n, 1) - 1
        while pos + skip >= len(days):
            skip -= len(days) - pos
            year += 1
            days = self._require(year)
            pos = 0
        return date.fromordinal(days[pos + skip])

    def _walk_back(self, o: int, n: int, year: int) -> date:
        """The n-th working day before ordinal o (n >= 1).

        Raises:
            CalendarYearUnknown: the count runs into a year nobody has entered.
        """
        days = self._require(year)
        pos = bisect_left(days, o)  # days[:pos] are the working days before o
        while pos < n:
            n -= pos
            year -= 1
            days = self._require(year)
            pos = len(days)
        return date.fromordinal(days[pos - n])

    def count_workdays(self, start: date, end: date) -> int:
        """Number of working days d with start <= d < end (0 if end <= start).

        Raises:
            CalendarYearUnknown: the range touches a year nobody has entered.
        """
        if end <= start:
            return 0
        lo, hi = start.toordinal(), end.toordinal()
        total = 0
        # The last counted day decides the last year needed: end itself is excluded.
        for year in range(start.year, date.fromordinal(hi - 1).year + 1):
            days = self._require(year)
            total += bisect_left(days, hi) - bisect_left(days, lo)
        return total
