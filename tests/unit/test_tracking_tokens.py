from datetime import UTC, datetime

import pytest

from portal.complaints.tokens import (
    make_token,
    normalise_tracking_no,
    token_hash,
    tracking_number,
)


def test_tokens_are_long_urlsafe_and_depend_on_nonce_and_secret():
    token = make_token("a" * 32, "secret")
    assert len(token) == 32 and token.replace("-", "").replace("_", "").isalnum()
    assert make_token("a" * 32, "secret") == token  # rebuildable for the lookup form
    assert make_token("b" * 32, "secret") != token
    assert make_token("a" * 32, "other secret") != token  # a database leak alone is not enough


def test_only_the_hash_of_a_token_is_stored():
    token = make_token("n" * 32, "s")
    assert token_hash(token) != token and len(token_hash(token)) == 64


def test_tracking_number_uses_the_year_in_china():
    # 31 December 16:30 UTC is already 1 January in Beijing.
    assert tracking_number(4217, datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "TS-2027-004217"


@pytest.mark.parametrize(
    "typed", ["TS-2026-004217", "ts 2026 004217", "TS2026004217", "ＴＳ－２０２６－００４２１７"]
)
def test_typed_tracking_numbers_normalise(typed):
    assert normalise_tracking_no(typed) == "TS-2026-004217"


def test_a_seven_digit_number_past_a_million_reports_is_found_as_typed():
    assert tracking_number(1_000_007, datetime(2027, 3, 1, tzinfo=UTC)) == "TS-2027-1000007"
    assert normalise_tracking_no("ts20271000007") == "TS-2027-1000007"
    assert normalise_tracking_no("TS-2027-1000007") == "TS-2027-1000007"
