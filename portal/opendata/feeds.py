"""What the Atom feeds say: the newest public events of an outfall, a water body, a region
or the whole record, from the registry's own tables (approvals, exceedances, remediation
steps, the ledger's public changes) and the public record of reports. Subscribers' or
reporters' data is never read here."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..complaints import record
from ..complaints.labels import COMPLAINT_STATUS
from ..complaints.models import Complaint
from ..core.clock import LOCAL_TZ
from ..extensions import db
from ..i18n import localname
from ..outfalls.labels import APPROVAL_KIND, INDICATOR, REMEDIATION_STATUS
from ..outfalls.models import (
    Approval,
    LedgerEntry,
    MonitoringRecord,
    Outfall,
    RemediationEvent,
    RemediationPlan,
)
from ..outfalls.services import OutfallFilters, evaluate, filtered
from ..urls import public_url

LIMIT = 50


@dataclass(frozen=True)
class Entry:
    id: str
    at: datetime
    title: str
    link: str
    summary: str


@dataclass(frozen=True)
class Scope:
    """Which outfalls and which reports a feed covers (WHERE clauses; None: all)."""

    outfalls: object  # callable(statement over Outfall) -> statement, or None: no registry
    complaints: object  # callable(statement over Complaint) -> statement


def _day(value: date) -> datetime:
    return datetime.combine(value, time(), tzinfo=LOCAL_TZ)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _page(code: str) -> str:
    return public_url("outfalls.show_outfall", code=code)


def _approvals(scope: Scope) -> list[Entry]:
    rows = db.session.execute(
        scope.outfalls(
            select(Approval.id, Approval.kind, Approval.decision_no, Approval.decided_on)
            .add_columns(Outfall.code, Outfall.name)
            .join(Outfall, Outfall.id == Approval.outfall_id)
        )
        .order_by(Approval.decided_on.desc(), Approval.id.desc())
        .limit(LIMIT)
    ).all()
    return [
        Entry(
            f"{_page(code)}#approval-{id_}",
            _day(decided),
            _(
                "%(kind)s %(number)s: %(outfall)s",
                kind=APPROVAL_KIND[kind.value],
                number=no,
                outfall=name,
            ),
            _page(code),
            _("Decided on %(day)s.", day=decided.isoformat()),
        )
        for id_, kind, no, decided, code, name in rows
    ]


def _exceedances(scope: Scope) -> list[Entry]:
    records = db.session.scalars(
        scope.outfalls(
            select(MonitoringRecord).join(Outfall, Outfall.id == MonitoringRecord.outfall_id)
        )
        .options(joinedload(MonitoringRecord.outfall).selectinload(Outfall.approvals))
        .order_by(MonitoringRecord.sampled_at.desc(), MonitoringRecord.id.desc())
        .limit(LIMIT * 4)
    ).all()
    entries = []
    for r in records:
        [sample] = evaluate(r.outfall, [r])
        if not sample.exceedances:
            continue
        names = ", ".join(str(INDICATOR.get(e.indicator, e.indicator)) for e in sample.exceedances)
        entries.append(
            Entry(
                f"{_page(r.outfall.code)}#sample-{r.id}",
                _aware(r.sampled_at),
                _("Limit exceeded at %(outfall)s: %(names)s", outfall=r.outfall.name, names=names),
                _page(r.outfall.code),
                _("Sample of %(day)s.", day=_aware(r.sampled_at).astimezone(LOCAL_TZ).date()),
            )
        )
    return entries[:LIMIT]


def _steps(scope: Scope) -> list[Entry]:
    rows = db.session.execute(
        scope.outfalls(
            select(RemediationEvent.id, RemediationEvent.status, RemediationEvent.occurred_on)
            .add_columns(RemediationEvent.note, Outfall.code, Outfall.name)
            .join(RemediationPlan, RemediationPlan.id == RemediationEvent.plan_id)
            .join(Outfall, Outfall.id == RemediationPlan.outfall_id)
        )
        .order_by(RemediationEvent.occurred_on.desc(), RemediationEvent.id.desc())
        .limit(LIMIT)
    ).all()
    return [
        Entry(
            f"{_page(code)}#step-{id_}",
            _day(day),
            _(
                "Remediation of %(outfall)s: %(status)s",
                outfall=name,
                status=REMEDIATION_STATUS[status.value],
            ),
            _page(code),
            note or "",
        )
        for id_, status, day, note, code, name in rows
    ]


def _ledger(scope: Scope) -> list[Entry]:
    rows = db.session.execute(
        scope.outfalls(
            select(LedgerEntry.id, LedgerEntry.created_at, LedgerEntry.changes, LedgerEntry.reason)
            .add_columns(Outfall.code, Outfall.name)
            .join(Outfall, Outfall.id == LedgerEntry.outfall_id)
        )
        .order_by(LedgerEntry.id.desc())
        .limit(LIMIT)
    ).all()
    entries = []
    for id_, at, changes, reason, code, name in rows:
        public = [c["field"] for c in changes or [] if c.get("public")]
        if changes and not public:
            continue  # only internal fields changed: the public history leaves it out too
        entries.append(
            Entry(
                f"{_page(code)}#change-{id_}",
                _aware(at),
                _("Record of %(outfall)s changed", outfall=name),
                _page(code),
                "; ".join([*public, reason] if reason else public),
            )
        )
    return entries


def _reports(scope: Scope, *, resolutions: bool = True) -> list[Entry]:
    rows = db.session.scalars(
        scope.complaints(select(Complaint))
        .options(joinedload(Complaint.category), joinedload(Complaint.outfall))
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        .limit(LIMIT)
    ).all()
    entries = []
    for c in rows:
        if not c.tracking_no:
            continue
        link = public_url("complaints.show_public", tracking_no=c.tracking_no)
        place = c.outfall.name if c.outfall else ""
        entries.append(
            Entry(
                f"{link}#received",
                _aware(c.created_at),
                _(
                    "New report %(number)s: %(category)s",
                    number=c.tracking_no,
                    category=localname(c.category),
                ),
                link,
                place,
            )
        )
        if resolutions and c.resolved_at is not None:
            entries.append(
                Entry(
                    f"{link}#resolved",
                    _aware(c.resolved_at),
                    _(
                        "Report %(number)s: %(status)s",
                        number=c.tracking_no,
                        status=COMPLAINT_STATUS[c.status.value],
                    ),
                    link,
                    place,
                )
            )
    return entries


def entries(scope: Scope, *, resolutions: bool | None = None) -> list[Entry]:
    """The newest LIMIT public events of the scope, newest first."""
    if resolutions is None:
        resolutions = scope.outfalls is not None
    found = _reports(scope, resolutions=resolutions)
    if scope.outfalls is not None:
        found += _approvals(scope) + _exceedances(scope) + _steps(scope) + _ledger(scope)
    found.sort(key=lambda e: (e.at, e.id), reverse=True)
    return found[:LIMIT]


# --- Scopes --------------------------------------------------------------------------------


def outfall_scope(outfall_id: int) -> Scope:
    return Scope(
        outfalls=lambda s: s.where(Outfall.id == outfall_id),
        complaints=lambda s: s.where(Complaint.outfall_id == outfall_id),
    )


def area_scope(*, water: int | None = None, region: str | None = None) -> Scope:
    """A water body or a region with everything below it (the list's and the record's rules)."""
    filters = record.resolve(record.RecordQuery(water=water, region=region or ""), None)
    outfalls = OutfallFilters(water=water, region=region)
    return Scope(
        outfalls=lambda s: filtered(s, outfalls),
        complaints=lambda s: record._where(s, filters),
    )


def complaint_scope(complaint_id: int) -> Scope:
    return Scope(outfalls=None, complaints=lambda s: s.where(Complaint.id == complaint_id))


ALL_REPORTS = Scope(outfalls=None, complaints=lambda s: s)
