"""Periods a public page can be asked about: the last 30 or 90 days, the last 12 months, a
year, a month. Pure: dates in, dates out (China time; the caller turns them into moments).

Keys, as they appear in URLs: "" (all time), "30d", "90d", "12m", "2026", "2026-05".
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .clock import LOCAL_TZ

DAY_KEYS = {"30d": 30, "90d": 90}
MONTHS_KEY = "12m"
_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Nothing before the portal's first possible report, nothing after next year.
FIRST_YEAR = 2000


class PeriodError(ValueError):
    """Not a period key this page offers."""


@dataclass(frozen=True)
class Period:
    """[start, end) in local dates; None ends are open (all time)."""

    key: str
    start: date | None
    end: date | None

    @property
    def months(self) -> tuple[str | None, str | None]:
        """The first and last month ("YYYY-MM") the period touches; None when open."""
        first = self.start.strftime("%Y-%m") if self.start else None
        last = (self.end - timedelta(days=1)).strftime("%Y-%m") if self.end else None
        return first, last

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The period as aware moments [start, end) at local midnight."""

        def moment(d: date | None) -> datetime | None:
            return datetime.combine(d, time(), tzinfo=LOCAL_TZ) if d else None

        return moment(self.start), moment(self.end)


def add_months(d: date, n: int) -> date:
    """The first day of the month n months after d's month (n may be negative)."""
    index = d.year * 12 + d.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def parse_period(key: str | None, today: date, *, allowed: frozenset[str]) -> Period:
    """The period a key names, relative to `today`.

    `allowed` holds the kinds this page offers: "all", "days", "12m", "year", "month".

    Raises:
        PeriodError: a malformed key, a kind the page does not offer, or a date out of range.
    """
    key = (key or "").strip()
    if not key:
        if "all" not in allowed:
            raise PeriodError(key)
        return Period("", None, None)
    if key in DAY_KEYS and "days" in allowed:
        return Period(key, today - timedelta(days=DAY_KEYS[key] - 1), today + timedelta(days=1))
    if key == MONTHS_KEY and "12m" in allowed:
        first = add_months(today, -11)
        return Period(key, first, add_months(today, 1))
    if (m := _YEAR.match(key)) and "year" in allowed:
        year = int(m.group(1))
        if FIRST_YEAR <= year <= today.year + 1:
            return Period(key, date(year, 1, 1), date(year + 1, 1, 1))
    if (m := _MONTH.match(key)) and "month" in allowed:
        year, month = int(m.group(1)), int(m.group(2))
        if FIRST_YEAR <= year <= today.year + 1 and 1 <= month <= 12:
            first = date(year, month, 1)
            return Period(key, first, add_months(first, 1))
    raise PeriodError(key)


def recent_months(today: date, n: int) -> list[str]:
    """The keys of the last n months, the current one first."""
    return [add_months(today, -i).strftime("%Y-%m") for i in range(n)]
