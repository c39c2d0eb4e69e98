"""Legal-status checks of an outfall (DOMAIN §3), computed from its published decisions.

Which decision an outfall needs: a river industrial (GY) or wastewater-plant (SH) outfall a
setting approval (审批, 部令35号), every other river outfall a registration (登记), a sea
outfall a filing (备案, 环海洋〔2024〕72号). It is `ok` when a current decision of that kind
is in force today, `expired` when the only current ones are past their validity, `missing`
when there is none (a registration where an approval is needed counts as none), and
`not_required` for an outfall no longer in service (merged, banned, closed).

Three forms of the same rule, kept together so they cannot drift apart:
`assess` (pure, over plain values), `status_of`/`statuses_for` (one outfall with its loaded
approvals, a page of outfalls in one query) and `legal_clause` (SQL for the list filter).
`approval_in_force` says which decision's limits judge a sample taken on a given day.
"""

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, case, false, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from .models import (
    Approval,
    ApprovalKind,
    ApprovalState,
    CategoryL1,
    Outfall,
    OutfallStatus,
    WaterKind,
)


class LegalStatus(enum.StrEnum):
    ok = "ok"
    missing = "missing"
    expired = "expired"
    not_required = "not_required"


# First-level types whose river outfalls need a setting approval (部令35号: 工矿企业,
# 工业及其他各类园区污水处理厂, 城镇污水处理厂); HJ 1235 puts park plants under GY.
APPROVAL_TYPES = frozenset({CategoryL1.GY, CategoryL1.SH})


def required_kind(water_kind: WaterKind | str, category_l1: CategoryL1 | str) -> ApprovalKind:
    """The decision an outfall of this kind and type needs before it may discharge."""
    if WaterKind(water_kind) is WaterKind.sea:
        return ApprovalKind.filing
    if CategoryL1(category_l1) in APPROVAL_TYPES:
        return ApprovalKind.approval
    return ApprovalKind.registration


def allowed_kinds(water_kind: WaterKind | str) -> tuple[ApprovalKind, ...]:
    """Decisions that exist for this kind of outfall (a river has no filing, a sea no 审批)."""
    if WaterKind(water_kind) is WaterKind.sea:
        return (ApprovalKind.filing,)
    return (ApprovalKind.approval, ApprovalKind.registration)


def in_force_on(approval: Approval, day: date) -> bool:
    """Decided by `day`, not past its validity and not revoked by then."""
    if approval.decided_on > day:
        return False
    if approval.valid_until is not None and approval.valid_until < day:
        return False
    return approval.revoked_on is None or approval.revoked_on > day


@dataclass(frozen=True)
class LegalState:
    """An outfall's legal status, the decision it needs and the one that decides it."""

    status: LegalStatus
    required: ApprovalKind
    # The decision in force (ok) or the newest expired one (expired); None otherwise.
    approval: Approval | None = None

    @property
    def expired_on(self) -> date | None:
        if self.status is LegalStatus.expired and self.approval is not None:
            return self.approval.valid_until
        return None


def assess(
    water_kind: WaterKind | str,
    category_l1: CategoryL1 | str,
    outfall_status: OutfallStatus | str,
    approvals: Iterable[Approval],
    today: date,
) -> LegalState:
    """The legal status from an outfall's kind, type, status and decisions (pure)."""
    required = required_kind(water_kind, category_l1)
    if OutfallStatus(outfall_status) is not OutfallStatus.in_service:
        return LegalState(LegalStatus.not_required, required)
    relevant = sorted(
        (a for a in approvals if a.state is ApprovalState.current and a.kind is required),
        key=lambda a: (a.decided_on, a.id or 0),
        reverse=True,
    )
    for approval in relevant:
        if in_force_on(approval, today):
            return LegalState(LegalStatus.ok, required, approval)
    # Current rows are neither revoked nor superseded, so what is left is past its validity
    # (or dated in the future, which the services refuse).
    expired = [a for a in relevant if a.valid_until is not None and a.valid_until < today]
    if expired:
        return LegalState(LegalStatus.expired, required, expired[0])
    return LegalState(LegalStatus.missing, required)


def status_of(outfall: Outfall, today: date) -> LegalState:
    """One outfall's legal status from its loaded `approvals` (no query when loaded)."""
    return assess(outfall.water_kind, outfall.category_l1, outfall.status, outfall.approvals, today)


def statuses_for(outfalls: Sequence[Outfall], today: date) -> dict[int, LegalState]:
    """Legal status of a page of outfalls, with one query for all their current decisions."""
    ids = [o.id for o in outfalls]
    by_outfall: dict[int, list[Approval]] = {i: [] for i in ids}
    if ids:
        rows = db.session.scalars(
            select(Approval).where(
                Approval.outfall_id.in_(ids), Approval.state == ApprovalState.current
            )
        )
        for approval in rows:
            by_outfall[approval.outfall_id].append(approval)
    return {
        o.id: assess(o.water_kind, o.category_l1, o.status, by_outfall[o.id], today)
        for o in outfalls
    }


def _required_kind_sql(outfall):
    return case(
        (outfall.water_kind == WaterKind.sea, ApprovalKind.filing.value),
        (outfall.category_l1.in_(sorted(APPROVAL_TYPES)), ApprovalKind.approval.value),
        else_=ApprovalKind.registration.value,
    )


def _current_required(*conditions, member=None) -> ColumnElement[bool]:
    """Outfall.id (or `member`) IN (outfalls with a current decision of the kind each needs).

    Not correlated: the subquery runs once (over the approvals, a small table) and the
    outer query probes its result, instead of two index probes per outfall of the list.
    """
    owner = aliased(Outfall)
    ids = (
        select(Approval.outfall_id)
        .join(owner, owner.id == Approval.outfall_id)
        .where(
            Approval.state == ApprovalState.current,
            Approval.kind == _required_kind_sql(owner),
            *conditions,
        )
    )
    return (Outfall.id if member is None else member).in_(ids)


def legal_clause(status: LegalStatus | str, today: date, member=None) -> ColumnElement[bool]:
    """A WHERE clause over Outfall: the outfalls with this legal status on `today`
    (`member`: the expression tested for membership, see services.filtered)."""
    status = LegalStatus(status)
    in_service = Outfall.status == OutfallStatus.in_service
    if status is LegalStatus.not_required:
        return Outfall.status != OutfallStatus.in_service
    in_force = _current_required(
        Approval.decided_on <= today,
        or_(Approval.valid_until.is_(None), Approval.valid_until >= today),
        or_(Approval.revoked_on.is_(None), Approval.revoked_on > today),
        member=member,
    )
    if status is LegalStatus.ok:
        return and_(in_service, in_force)
    expired = _current_required(Approval.valid_until < today, member=member)
    if status is LegalStatus.expired:
        return and_(in_service, ~in_force, expired)
    if status is LegalStatus.missing:
        return and_(in_service, ~in_force, ~expired)
    return false()


def approval_in_force(approvals: Iterable[Approval], day: date) -> Approval | None:
    """The decision whose limits apply to a sample taken on `day`, if any is in force.

    The newest decision made by that day governs (a corrected version is replaced by its
    correction, which covers the same decision); when it had expired or been revoked by
    then, none is in force and the sample is judged against the national standard.
    """
    newest = max(
        (a for a in approvals if a.state is not ApprovalState.corrected and a.decided_on <= day),
        key=lambda a: (a.decided_on, a.id or 0),
        default=None,
    )
    if newest is None or not in_force_on(newest, day):
        return None
    return newest
