"""Publishing approvals, registrations and filings: create, correct, supersede, revoke.

Nothing published is ever overwritten or deleted. A correction (the published record was
wrong) and a superseding decision (a new decision replaces the old, e.g. a renewal or 改设)
each add a new row that names the old one (`replaces_id`); the old row keeps its values and
gets the state `corrected` or `superseded`. A revocation (注销/撤销) only sets the state, the
date and the reason. Every step is written to the outfall's ledger chain in the same
transaction. Documents are checked by `pdfcheck`, staged in the content-addressed store
before the commit and published after it (`publish_files`), as complaint photos are.

Services flush, never commit; the view commits once, then calls `publish_files`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..agencies.models import StaffMember
from ..core.bulk import insert_rows
from ..core.clock import local_date
from ..core.errors import UserError
from ..core.storage import FileStore, StagedFile
from ..extensions import db
from . import history, legal
from .access import editable_outfalls
from .models import Approval, ApprovalDocument, ApprovalKind, ApprovalState, Outfall
from .pdfcheck import check_pdf
from .record_changes import record_change, required_reason

# What the history records of an approval; all of it is public (it is published anyway).
FIELDS = (
    "kind",
    "decision_no",
    "authority",
    "decided_on",
    "valid_until",
    "permitted_daily_volume_m3",
    "limits",
    "note",
    "state",
    "replaces_id",
    "change_reason",
    "revoked_on",
    "revocation_reason",
)
LIMIT_KEYS = ("cod", "nh3n", "tn", "tp")
FILE_SLUG = {"approval": "approval", "registration": "registration", "filing": "filing-receipt"}


@dataclass
class ApprovalInput:
    """What a person types for a decision (validated again by `check_input`)."""

    kind: ApprovalKind
    decision_no: str
    authority: str
    decided_on: date
    valid_until: date | None = None
    permitted_daily_volume_m3: float | None = None
    # mg/L upper limits by indicator, and "ph_min"/"ph_max".
    limits: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass
class DocumentUpload:
    """One uploaded file: its title (may be empty), the name it came with, its bytes."""

    title: str
    filename: str
    data: bytes


@dataclass
class Published:
    """The result of a service: the row and the files to publish after the commit."""

    approval: Approval
    staged: list[StagedFile] = field(default_factory=list)


def _store() -> FileStore:
    return FileStore(current_app.config["UPLOAD_DIR"])


def max_pdf_bytes() -> int:
    """The size limit of one document (APPROVAL_PDF_MAX_MB)."""
    return int(float(current_app.config["APPROVAL_PDF_MAX_MB"]) * 1024 * 1024)


def approval_for_edit(actor: StaffMember, approval_id: int) -> Approval | None:
    """The approval if the actor may edit its outfall; None otherwise (answer 404)."""
    return db.session.scalars(
        select(Approval)
        .join(Outfall, Approval.outfall_id == Outfall.id)
        .where(Approval.id == approval_id, editable_outfalls(actor))
    ).first()


def check_input(outfall: Outfall, data: ApprovalInput, today: date) -> None:
    """Refuse what cannot be a real decision for this outfall.

    Raises:
        UserError: on the field at fault.
    """
    if data.kind not in legal.allowed_kinds(outfall.water_kind):
        raise UserError(
            _l("A sea outfall is filed (备案); a river outfall is approved or registered."),
            "kind",
        )
    if not data.decision_no.strip():
        raise UserError(_l("Enter the decision number."), "decision_no")
    if not data.authority.strip():
        raise UserError(_l("Enter the authority that decided."), "authority")
    if data.decided_on > today:
        raise UserError(_l("The decision date cannot be in the future."), "decided_on")
    if data.valid_until is not None and data.valid_until < data.decided_on:
        raise UserError(_l("The validity cannot end before the decision date."), "valid_until")
    volume = data.permitted_daily_volume_m3
    if volume is not None and volume < 0:
        raise UserError(_l("The permitted volume cannot be negative."), "volume")
    for key in LIMIT_KEYS:
        value = data.limits.get(key)
        if value is not None and value < 0:
            raise UserError(_l("A limit cannot be negative."), f"limit_{key}")
    ph_min, ph_max = data.limits.get("ph_min"), data.limits.get("ph_max")
    if (ph_min is None) != (ph_max is None):
        raise UserError(_l("Give both ends of the pH range, or neither."), "ph_min")
    if ph_min is not None and not 0 <= ph_min < ph_max <= 14:
        raise UserError(_l("The pH range must lie between 0 and 14, low before high."), "ph_min")


def _stage_documents(
    approval: Approval, outfall: Outfall, uploads: Sequence[DocumentUpload]
) -> list[StagedFile]:
    """Check every upload first (a refusal stages nothing), then stage and attach them."""
    limit = max_pdf_bytes()
    for upload in uploads:
        check_pdf(upload.data, limit, field="documents")
    store, staged = _store(), []
    for upload in uploads:
        item = store.stage(upload.data)
        staged.append(item)
        title = upload.title.strip() or _stem(upload.filename) or approval.decision_no
        approval.documents.append(
            ApprovalDocument(
                title=title[:200],
                filename=f"{FILE_SLUG[approval.kind.value]}-{outfall.code}-{item.sha256[:8]}.pdf",
                content_type="application/pdf",
                size=len(upload.data),
                sha256=item.sha256,
            )
        )
    return staged


def _stem(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name[:-4] if name.lower().endswith(".pdf") else name


def _apply(approval: Approval, data: ApprovalInput) -> None:
    approval.kind = data.kind
    approval.decision_no = data.decision_no.strip()
    approval.authority = data.authority.strip()
    approval.decided_on = data.decided_on
    approval.valid_until = data.valid_until
    approval.permitted_daily_volume_m3 = data.permitted_daily_volume_m3
    approval.limits = {k: float(v) for k, v in data.limits.items() if v is not None}
    approval.note = data.note.strip()


def _record(
    approval: Approval,
    action: str,
    before: dict[str, Any],
    reason: str,
    actor: StaffMember,
    now: datetime,
    source: str,
) -> None:
    record_change(
        approval,
        "approval",
        FIELDS,
        action,
        before,
        reason=reason,
        actor=actor,
        now=now,
        source=source,
    )


def create_approval(
    actor: StaffMember,
    outfall: Outfall,
    data: ApprovalInput,
    documents: Sequence[DocumentUpload],
    now: datetime,
    *,
    reason: str = "",
    source: str = "form",
) -> Published:
    """Publish a new decision for an outfall the actor may edit.

    Raises:
        UserError: the decision or a document is refused (nothing is stored).
    """
    check_input(outfall, data, local_date(now))
    approval = Approval(outfall=outfall, state=ApprovalState.current, limits={})
    db.session.add(approval)
    _apply(approval, data)
    staged = _stage_documents(approval, outfall, documents)
    db.session.flush()
    _record(approval, "approval_created", {}, reason.strip(), actor, now, source)
    return Published(approval, staged)


def create_approvals(
    items: Sequence[tuple[int, ApprovalInput]], entries: list[dict[str, Any]]
) -> None:
    """`create_approval` for many outfalls at once (the import), without documents: the
    decisions in one insert; their history entries are appended to `entries`, for the
    caller to record with the rest of its batch (`history.record_many`). Items are
    (outfall id, decision), each already judged by `check_input`."""
    if not items:
        return
    table = Approval.__table__
    rows, shown = [], []
    for outfall_id, data in items:
        # The values create_approval writes and records, without an ORM object per row.
        row = SimpleNamespace(
            outfall_id=outfall_id,
            state=ApprovalState.current,
            change_reason="",
            revocation_reason="",
            replaces_id=None,
            revoked_on=None,
        )
        _apply(row, data)
        rows.append({name: getattr(row, name) for name in _INSERTED})
        shown.append(history.snapshot(row, FIELDS))
    # One executemany, then the new ids by outfall (each has this one current decision):
    # RETURNING in the rows' order would insert them one at a time.
    insert_rows(db.session, table, rows)
    outfall_ids = [row["outfall_id"] for row in rows]
    by_outfall = dict(
        db.session.execute(
            select(table.c.outfall_id, table.c.id).where(
                table.c.outfall_id.in_(outfall_ids), table.c.state == ApprovalState.current
            )
        ).all()
    )
    ids = [by_outfall[oid] for oid in outfall_ids]
    entries += [
        {
            "chain": history.outfall_chain(row["outfall_id"]),
            "subject_kind": "approval",
            "subject_id": aid,
            "outfall_id": row["outfall_id"],
            "action": "approval_created",
            "changes": history.diff({}, after, public=FIELDS),
        }
        for aid, row, after in zip(ids, rows, shown, strict=True)
    ]


_INSERTED = ("outfall_id", *FIELDS)  # a new decision's columns: what history records


def _replace(
    actor: StaffMember,
    old: Approval,
    data: ApprovalInput,
    reason: str,
    documents: Sequence[DocumentUpload],
    now: datetime,
    *,
    correction: bool,
) -> Published:
    if not old.is_current:
        raise UserError(_l("Only the current version of a decision can be changed."))
    reason = required_reason(reason)
    outfall = old.outfall
    check_input(outfall, data, local_date(now))
    new = Approval(
        outfall=outfall,
        state=ApprovalState.current,
        replaces_id=old.id,
        change_reason=reason,
        corrected_on=local_date(now) if correction else None,
        limits={},
    )
    db.session.add(new)
    _apply(new, data)
    if correction:
        # The same decision: its documents stay attached to the corrected version too
        # (the files are content-addressed, so nothing is copied).
        for doc in old.documents:
            new.documents.append(
                ApprovalDocument(
                    title=doc.title,
                    filename=doc.filename,
                    content_type=doc.content_type,
                    size=doc.size,
                    sha256=doc.sha256,
                )
            )
    staged = _stage_documents(new, outfall, documents)
    before_old = history.snapshot(old, FIELDS)
    old.state = ApprovalState.corrected if correction else ApprovalState.superseded
    db.session.flush()
    action = "approval_corrected" if correction else "approval_superseded"
    _record(old, action, before_old, reason, actor, now, "form")
    _record(new, action, history.snapshot(old, FIELDS), reason, actor, now, "form")
    return Published(new, staged)


def correct_approval(
    actor: StaffMember,
    approval: Approval,
    data: ApprovalInput,
    reason: str,
    documents: Sequence[DocumentUpload],
    now: datetime,
) -> Published:
    """Correct what was published; the old version is kept (state `corrected`).

    Raises:
        UserError: no reason, not the current version, or the new values are refused.
    """
    return _replace(actor, approval, data, reason, documents, now, correction=True)


def supersede_approval(
    actor: StaffMember,
    approval: Approval,
    data: ApprovalInput,
    reason: str,
    documents: Sequence[DocumentUpload],
    now: datetime,
) -> Published:
    """Replace a decision with a new one (renewal, change); the old one is `superseded`.

    Raises:
        UserError: no reason, not the current version, or the new decision is refused.
    """
    if data.decided_on < approval.decided_on:
        raise UserError(
            _l("A superseding decision cannot be older than the decision it replaces."),
            "decided_on",
        )
    return _replace(actor, approval, data, reason, documents, now, correction=False)


def revoke_approval(
    actor: StaffMember, approval: Approval, revoked_on: date, reason: str, now: datetime
) -> Approval:
    """Revoke (注销/撤销) a current decision from a date; it stays published as revoked.

    Raises:
        UserError: no reason, not current, a date before the decision or in the future.
    """
    if not approval.is_current:
        raise UserError(_l("Only the current version of a decision can be revoked."))
    reason = required_reason(reason)
    if revoked_on > local_date(now):
        raise UserError(_l("The revocation date cannot be in the future."), "revoked_on")
    if revoked_on < approval.decided_on:
        raise UserError(_l("A decision cannot be revoked before it was made."), "revoked_on")
    before = history.snapshot(approval, FIELDS)
    approval.state = ApprovalState.revoked
    approval.revoked_on = revoked_on
    approval.revocation_reason = reason
    db.session.flush()
    _record(approval, "approval_revoked", before, reason, actor, now, "form")
    return approval


def publish_files(published: Published) -> None:
    """After the commit: make the staged documents visible under their digests."""
    store = _store()
    for item in published.staged:
        store.publish(item)


def discard_files(published: Published | None) -> None:
    """After a failed commit: remove what was staged for it."""
    if published is not None:
        _store().discard(published.staged)


@dataclass
class Versions:
    """A published decision and its earlier versions (corrections), newest first."""

    approval: Approval
    earlier: list[Approval]


def public_versions(approvals: Sequence[Approval]) -> list[Versions]:
    """Decisions as the public pages list them: every one not replaced by a correction
    (current first, then superseded and revoked ones), each with the versions it corrects."""
    by_id = {a.id: a for a in approvals}
    shown = []
    for approval in approvals:
        if approval.state is ApprovalState.corrected:
            continue
        earlier, cursor = [], approval
        while cursor.corrected_on is not None and cursor.replaces_id in by_id:
            cursor = by_id[cursor.replaces_id]
            earlier.append(cursor)
        shown.append(Versions(approval, earlier))
    shown.sort(key=lambda v: (not v.approval.is_current, -v.approval.decided_on.toordinal()))
    return shown
