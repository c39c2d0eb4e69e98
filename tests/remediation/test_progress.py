"""Progress arithmetic against hand-computed fixtures (pure, no DB)."""

from datetime import date

from portal.remediation.progress import (
    Dated,
    curve,
    half_year_ends,
    judge,
    monthly,
    tally,
    tally_by_month,
)

# Ten outfalls: 6 identified in 2023, 4 in 2024; by 2023-12-31 two signed off and one
# retained; by 2024-12-31 five signed off and two retained.
OUTFALLS = [
    Dated(date(2023, 2, 1), signed_off_on=date(2023, 6, 1)),
    Dated(date(2023, 2, 1), signed_off_on=date(2023, 12, 31)),
    Dated(date(2023, 3, 1), retained_on=date(2023, 5, 1)),
    Dated(date(2023, 4, 1), signed_off_on=date(2024, 3, 1)),
    Dated(date(2023, 5, 1)),
    Dated(date(2023, 11, 1), retained_on=date(2024, 2, 1)),
    Dated(date(2024, 1, 10), signed_off_on=date(2024, 11, 1)),
    Dated(date(2024, 2, 1), signed_off_on=date(2024, 12, 1)),
    Dated(date(2024, 6, 1)),
    Dated(date(2025, 1, 5), signed_off_on=date(2025, 2, 1)),
]


def test_denominator_is_what_was_identified_by_the_date():
    t = tally(OUTFALLS, date(2023, 12, 31))
    assert (t.identified, t.signed_off, t.retained) == (6, 2, 1)
    assert t.share == 2 / 6
    t = tally(OUTFALLS, date(2024, 12, 31))
    assert (t.identified, t.signed_off, t.retained) == (9, 5, 2)


def test_retained_are_not_counted_as_signed_off():
    only_retained = [Dated(date(2023, 1, 1), retained_on=date(2023, 2, 1))]
    t = tally(only_retained, date(2024, 1, 1))
    assert t.share == 0.0 and t.retained_share == 1.0


def test_monthly_rollup_gives_the_same_counts_at_month_ends():
    months = monthly(OUTFALLS)
    for day in (date(2023, 12, 31), date(2024, 6, 30), date(2024, 12, 31), date(2025, 2, 28)):
        assert tally_by_month(months, day) == tally(OUTFALLS, day)


def test_targets_achieved_vs_required():
    months = monthly(OUTFALLS)
    end_2023 = judge(date(2023, 12, 31), 30, months, date(2025, 3, 1))
    # 30 % of 6 = 1.8, rounded up: 2 required, 2 signed off.
    assert (end_2023.required, end_2023.tally.signed_off, end_2023.met) == (2, 2, True)
    end_2024 = judge(date(2024, 12, 31), 70, months, date(2025, 3, 1))
    # 70 % of 9 = 6.3: 7 required, 5 signed off, 2 short.
    assert (end_2024.required, end_2024.met, end_2024.shortfall) == (7, False, 2)
    future = judge(date(2025, 12, 31), 100, months, date(2025, 3, 1))
    assert future.pending and future.at == date(2025, 3, 1)
    assert (future.tally.identified, future.required, future.tally.signed_off) == (10, 10, 6)


def test_curve_runs_month_by_month_to_today():
    points = curve(monthly(OUTFALLS), date(2023, 4, 15))
    assert [p.month_end for p in points] == [
        date(2023, 2, 28),
        date(2023, 3, 31),
        date(2023, 4, 30),
    ]
    assert [p.tally.identified for p in points] == [2, 3, 4]
    assert curve({}, date(2023, 1, 1)) == []


def test_half_year_report_dates():
    assert half_year_ends(date(2024, 7, 1), 3) == [
        date(2024, 6, 30),
        date(2023, 12, 30),
        date(2023, 6, 30),
    ]
