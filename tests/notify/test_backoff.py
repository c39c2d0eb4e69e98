"""The retry schedule is a pure rule: doubling from one minute, capped at six hours."""

from datetime import timedelta

import pytest

from portal.notify.services import MAX_ATTEMPTS, MAX_BACKOFF, backoff


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (8, 128), (9, 256), (10, 360), (11, 360)],
)
def test_backoff_doubles_from_one_minute_up_to_six_hours(attempts, minutes):
    assert backoff(attempts) == timedelta(minutes=minutes)


def test_backoff_stays_capped_for_absurd_attempt_counts():
    assert backoff(10_000) == MAX_BACKOFF == timedelta(hours=6)


@pytest.mark.parametrize("attempts", [0, -1])
def test_backoff_is_undefined_before_a_failed_attempt(attempts):
    with pytest.raises(ValueError):
        backoff(attempts)


def test_retrying_lasts_most_of_a_day_before_giving_up():
    # Waits happen after failures 1 .. MAX_ATTEMPTS - 1; the last failure gives up.
    total = sum((backoff(n) for n in range(1, MAX_ATTEMPTS)), timedelta())
    assert timedelta(hours=12) <= total <= timedelta(hours=36)
