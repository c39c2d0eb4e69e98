"""Legal-status rules (DOMAIN §3) over every type, river or sea, status and validity."""

from datetime import date

import pytest

from portal.outfalls.legal import (
    LegalStatus,
    allowed_kinds,
    approval_in_force,
    assess,
    required_kind,
)
from portal.outfalls.models import (
    Approval,
    ApprovalKind,
    ApprovalState,
    CategoryL1,
    OutfallStatus,
    WaterKind,
)

TODAY = date(2026, 12, 2)
NEEDS = {
    (WaterKind.river, CategoryL1.GY): ApprovalKind.approval,
    (WaterKind.river, CategoryL1.SH): ApprovalKind.approval,
    (WaterKind.river, CategoryL1.NY): ApprovalKind.registration,
    (WaterKind.river, CategoryL1.YH): ApprovalKind.registration,
    (WaterKind.river, CategoryL1.QT): ApprovalKind.registration,
    **{(WaterKind.sea, l1): ApprovalKind.filing for l1 in CategoryL1},
}


def decision(kind, *, state=ApprovalState.current, decided=date(2024, 3, 1), until=None, **kw):
    return Approval(kind=kind, state=state, decided_on=decided, valid_until=until, limits={}, **kw)


def test_the_table_covers_every_kind_and_type():
    assert set(NEEDS) == {(w, t) for w in WaterKind for t in CategoryL1}


@pytest.mark.parametrize(("water", "l1"), sorted(NEEDS, key=str))
def test_each_type_needs_its_decision_and_nothing_else_counts(water, l1):
    needed = NEEDS[(water, l1)]
    assert required_kind(water, l1) is needed
    assert needed in allowed_kinds(water)
    in_service = OutfallStatus.in_service
    assert assess(water, l1, in_service, [], TODAY).status is LegalStatus.missing
    state = assess(water, l1, in_service, [decision(needed)], TODAY)
    assert (state.status, state.required) == (LegalStatus.ok, needed)
    for other in set(ApprovalKind) - {needed}:
        # A registration where an approval is needed (or a river decision at sea) is none.
        assert assess(water, l1, in_service, [decision(other)], TODAY).status is (
            LegalStatus.missing
        )
    expired = decision(needed, until=date(2026, 12, 1))
    state = assess(water, l1, in_service, [expired], TODAY)
    assert state.status is LegalStatus.expired
    assert state.expired_on == date(2026, 12, 1)
    assert assess(water, l1, in_service, [decision(needed, until=TODAY)], TODAY).status is (
        LegalStatus.ok
    )  # valid through its last day
    for status in set(OutfallStatus) - {in_service}:
        assert assess(water, l1, status, [], TODAY).status is LegalStatus.not_required


def test_only_current_decisions_count():
    for state in (ApprovalState.corrected, ApprovalState.superseded, ApprovalState.revoked):
        old = decision(ApprovalKind.approval, state=state)
        assert assess("river", "GY", "in_service", [old], TODAY).status is LegalStatus.missing


def test_a_renewal_in_force_wins_over_an_expired_decision():
    old = decision(ApprovalKind.approval, decided=date(2019, 1, 1), until=date(2024, 1, 1), id=1)
    new = decision(ApprovalKind.approval, decided=date(2024, 1, 2), until=date(2029, 1, 1), id=2)
    state = assess("river", "SH", "in_service", [old, new], TODAY)
    assert (state.status, state.approval) == (LegalStatus.ok, new)


def test_a_decision_dated_after_today_is_not_in_force():
    later = decision(ApprovalKind.filing, decided=date(2027, 1, 1))
    assert assess("sea", "QT", "in_service", [later], TODAY).status is LegalStatus.missing


def test_samples_are_judged_by_the_decision_in_force_on_their_day():
    first = decision(ApprovalKind.approval, decided=date(2020, 1, 1), until=date(2023, 1, 1), id=1)
    first.state = ApprovalState.superseded
    second = decision(
        ApprovalKind.approval, decided=date(2024, 1, 1), until=date(2026, 6, 30), id=2
    )
    fixed = decision(ApprovalKind.approval, decided=date(2024, 1, 1), until=date(2026, 6, 30), id=3)
    second.state = ApprovalState.corrected  # replaced by `fixed`, the same decision
    revoked = decision(ApprovalKind.registration, decided=date(2019, 1, 1), id=4)
    revoked.state, revoked.revoked_on = ApprovalState.revoked, date(2019, 6, 1)
    rows = [first, second, fixed, revoked]
    assert approval_in_force(rows, date(2018, 1, 1)) is None  # before any decision
    assert approval_in_force(rows, date(2019, 3, 1)) is revoked  # before its revocation
    assert approval_in_force(rows, date(2019, 7, 1)) is None  # revoked by then
    assert approval_in_force(rows, date(2021, 1, 1)) is first
    assert approval_in_force(rows, date(2023, 6, 1)) is None  # first expired, no renewal yet
    assert approval_in_force(rows, date(2025, 1, 1)) is fixed  # the correction, not the error
    assert approval_in_force(rows, date(2026, 7, 1)) is None  # expired: national standard
