"""Progress arithmetic, pure (no DB): shares the plans' way and targets met or missed.

The plans count the outfalls *identified by a date* (Qinzhou §(二): "30 % of identified
outfalls remediated by end-2023"): the denominator at date D is every outfall identified on
or before D, retained ones included; the numerator is those signed off (销号) on or before D.
Retained outfalls (保留) are kept, not remediated: they are counted and shown apart, never
added to the signed-off share.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from math import ceil

from ..core.periods import add_months


@dataclass(frozen=True)
class Dated:
    """One outfall as the arithmetic sees it."""

    identified_on: date
    signed_off_on: date | None = None
    retained_on: date | None = None


@dataclass(frozen=True)
class Tally:
    """Counts at a date: identified by then, signed off by then, retained by then."""

    identified: int
    signed_off: int
    retained: int

    @property
    def share(self) -> float:
        """Signed-off share of the identified (0 when nothing was identified)."""
        return self.signed_off / self.identified if self.identified else 0.0

    @property
    def retained_share(self) -> float:
        return self.retained / self.identified if self.identified else 0.0


def tally(outfalls: Iterable[Dated], on: date) -> Tally:
    """Exact counts at `on` from outfalls' own dates."""
    identified = signed = retained = 0
    for o in outfalls:
        if o.identified_on > on:
            continue
        identified += 1
        if o.signed_off_on is not None and o.signed_off_on <= on:
            signed += 1
        elif o.retained_on is not None and o.retained_on <= on:
            retained += 1
    return Tally(identified, signed, retained)


def month_of(d: date) -> date:
    return d.replace(day=1)


def month_end(d: date) -> date:
    return date.fromordinal(add_months(d, 1).toordinal() - 1)


def monthly(outfalls: Iterable[Dated]) -> dict[date, tuple[int, int, int]]:
    """(identified, signed off, retained) that happened in each month (first day as key)."""
    return counted_monthly((o, 1) for o in outfalls)


def counted_monthly(counted: Iterable[tuple[Dated, int]]) -> dict[date, tuple[int, int, int]]:
    """`monthly` of (outfall, n): n outfalls alike."""
    months: dict[date, list[int]] = {}
    for o, n in counted:
        months.setdefault(month_of(o.identified_on), [0, 0, 0])[0] += n
        if o.signed_off_on is not None:
            months.setdefault(month_of(o.signed_off_on), [0, 0, 0])[1] += n
        elif o.retained_on is not None:
            months.setdefault(month_of(o.retained_on), [0, 0, 0])[2] += n
    return {m: (a, b, c) for m, (a, b, c) in months.items()}


def tally_by_month(months: Mapping[date, tuple[int, int, int]], on: date) -> Tally:
    """Counts at the end of `on`'s month from monthly counts (what the rollup holds)."""
    last = month_of(on)
    identified = signed = retained = 0
    for month, (i, s, r) in months.items():
        if month <= last:
            identified += i
            signed += s
            retained += r
    return Tally(identified, signed, retained)


@dataclass(frozen=True)
class TargetResult:
    """A target judged at its date (or today, if its date is still ahead)."""

    due_on: date
    percent: int
    at: date  # the date the counts are taken at
    tally: Tally
    pending: bool  # the target date is still ahead: the counts are today's

    @property
    def required(self) -> int:
        """Outfalls that must be signed off: the share of those identified, rounded up."""
        return ceil(self.percent * self.tally.identified / 100)

    @property
    def met(self) -> bool:
        return self.tally.signed_off >= self.required

    @property
    def shortfall(self) -> int:
        return max(0, self.required - self.tally.signed_off)


def judge(
    due_on: date, percent: int, months: Mapping[date, tuple[int, int, int]], today: date
) -> TargetResult:
    """A target's achieved vs required at its date; a future target against today."""
    pending = due_on > today
    at = today if pending else due_on
    return TargetResult(due_on, percent, at, tally_by_month(months, at), pending)


@dataclass(frozen=True)
class CurvePoint:
    month_end: date
    tally: Tally


def curve(months: Mapping[date, tuple[int, int, int]], today: date) -> list[CurvePoint]:
    """Signed-off share at each month's end, from the first month with data to today's."""
    if not months:
        return []
    first, last = min(months), month_of(today)
    points, identified, signed, retained = [], 0, 0, 0
    month = first
    while month <= last:
        i, s, r = months.get(month, (0, 0, 0))
        identified, signed, retained = identified + i, signed + s, retained + r
        points.append(CurvePoint(month_end(month), Tally(identified, signed, retained)))
        month = add_months(month, 1)
    return points


def half_year_ends(today: date, count: int = 8) -> list[date]:
    """The report dates of Qinzhou §(十四) (30 June and 30 December), latest first."""
    dates = []
    year = today.year
    while len(dates) < count:
        for d in (date(year, 12, 30), date(year, 6, 30)):
            if d <= today and len(dates) < count:
                dates.append(d)
        year -= 1
    return dates
