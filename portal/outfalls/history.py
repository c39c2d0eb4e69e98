"""The registry's append-only, hash-chained history: the one way an entry is written.

Every service that changes the registry (the /manage/ forms, the import, the API) diffs what
it changes with `diff` and writes it with `record`, in the same transaction as the change.
`verify_ledger` (`flask portal ledger verify`) proves no entry was altered or removed.
"""

import enum
import functools
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Column, MetaData, Table, and_, func, or_, select
from sqlalchemy.orm import joinedload

from ..agencies.models import Department, StaffMember
from ..core.bulk import insert_rows
from ..core.clock import utcnow
from ..core.hashchain import ChainHasher, canonical_json, chain_hash
from ..dbtypes import JSON_TEXT
from ..extensions import db
from .models import LedgerEntry


def outfall_chain(outfall_id: int) -> str:
    """The chain of an outfall's history (its approvals, monitoring and plan included)."""
    return f"outfall:{outfall_id}"


_PLAIN = frozenset({str, int, float, bool})
# The types of what `plain` gives (a list or mapping of it is in history form too).
FORMED = _PLAIN | {type(None), dict, list}


def plain(value: Any) -> Any:
    """A value as the history stores it: JSON-safe and comparable (dates as ISO text)."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of `obj`, in history form."""
    return {name: plain(getattr(obj, name)) for name in fields}


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, public: Collection[str]
) -> list[dict[str, Any]]:
    """Field-by-field changes from `before` to `after` (fields of either), in `after`'s order.

    `public` names the fields the public history may show; the rest stay internal. For a
    new record (`before` empty), `after` is taken in history form as `snapshot` gives it:
    its lists and mappings are not converted again.
    """
    if not before:  # a new record: every field it has
        return [
            {"field": name, "old": None, "new": new, "public": name in public}
            for name, value in after.items()
            if value is not None
            and (new := value if type(value) in FORMED else plain(value)) is not None
        ]
    names = list(after) + [name for name in before if name not in after]
    changes = []
    for name in names:
        old, new = plain(before.get(name)), plain(after.get(name))
        if old != new:
            changes.append({"field": name, "old": old, "new": new, "public": name in public})
    return changes


def entry_fields(entry: LedgerEntry) -> dict[str, Any]:
    """The fields an entry's hash covers."""
    return {name: getattr(entry, name) for name in _HASHED}


def record(
    *,
    chain: str,
    subject_kind: str,
    subject_id: int,
    action: str,
    changes: list[dict[str, Any]],
    reason: str = "",
    actor: StaffMember | None = None,
    outfall_id: int | None = None,
    source: str = "form",
    now: datetime | None = None,
) -> LedgerEntry:
    """Append one change to `chain`, linked to its previous entry by hash.

    Two writers racing on one chain cannot fork it: (chain, seq) is unique, so the second
    commit fails and its whole transaction (the change with it) is rolled back.
    """
    last = db.session.execute(
        select(LedgerEntry.seq, LedgerEntry.hash)
        .where(LedgerEntry.chain == chain)
        .order_by(LedgerEntry.seq.desc())
        .limit(1)
    ).first()
    entry = LedgerEntry(
        **_entry_values(
            chain=chain,
            seq=(last.seq + 1) if last else 1,
            prev_hash=last.hash if last else "",
            subject_kind=subject_kind,
            subject_id=subject_id,
            outfall_id=outfall_id,
            action=action,
            changes=changes,
            reason=reason,
            actor=actor,
            source=source,
            created_at=(now or utcnow()).replace(microsecond=0),
        )
    )
    db.session.add(entry)
    db.session.flush()
    return entry


_HASHED = (
    "chain",
    "seq",
    "subject_kind",
    "subject_id",
    "outfall_id",
    "action",
    "changes",
    "reason",
    "source",
    "department_id",
    "staff_id",
    "created_at",
)


def _entry_values(*, prev_hash: str, actor, **values) -> dict[str, Any]:
    """An entry's columns, its hash included (what `entry_fields` covers, and prev_hash)."""
    values.update(_author(actor))
    values["prev_hash"] = prev_hash
    values["hash"] = chain_hash(prev_hash, {name: values[name] for name in _HASHED})
    return values


def _author(actor) -> dict[str, int | None]:
    return {
        "department_id": actor.department_id if actor is not None else None,
        "staff_id": actor.id if actor is not None else None,
    }


@functools.cache
def _raw_entries() -> Table:
    """The entries' table with `changes` taken as encoded JSON text (see record_many)."""
    table = LedgerEntry.__table__
    return Table(
        table.name,
        MetaData(),
        *(
            Column(c.name, JSON_TEXT if c.name == "changes" else c.type, primary_key=c.primary_key)
            for c in table.columns
        ),
    )


def _heads(chains: Collection[str]) -> dict[str, tuple[int, str]]:
    """Chain → (seq, hash) of its last entry, for the chains that have one."""
    heads: dict[str, tuple[int, str]] = {}
    chains = list(dict.fromkeys(chains))
    for start in range(0, len(chains), 500):
        part = chains[start : start + 500]
        last = (
            select(LedgerEntry.chain, func.max(LedgerEntry.seq).label("seq"))
            .where(LedgerEntry.chain.in_(part))
            .group_by(LedgerEntry.chain)
            .subquery()
        )
        for chain, seq, hash_ in db.session.execute(
            select(LedgerEntry.chain, LedgerEntry.seq, LedgerEntry.hash).join(
                last, and_(LedgerEntry.chain == last.c.chain, LedgerEntry.seq == last.c.seq)
            )
        ):
            heads[chain] = (seq, hash_)
    return heads


def record_many(
    items: list[dict[str, Any]],
    *,
    reason: str = "",
    actor: StaffMember | None = None,
    source: str = "form",
    now: datetime | None = None,
) -> None:
    """`record` for many entries in a few statements: the chains' last entries in one
    query (none for items marked `"fresh"`: a chain just begun), one insert for all.

    Each item holds record's chain, subject_kind, subject_id, outfall_id, action, changes.
    The same guard holds: (chain, seq) is unique, so a racing writer fails the commit.
    """
    if not items:
        return
    fixed = {
        "reason": reason,
        "source": source,
        "created_at": (now or utcnow()).replace(microsecond=0),
        **_author(actor),
    }
    # `changes` is stored as the text its hash covers: the list is encoded once.
    hash_of = ChainHasher(_HASHED, fixed, encoded=("changes",))
    heads = _heads([i["chain"] for i in items if not i.get("fresh")])
    rows = []
    for item in items:
        seq, prev_hash = heads.get(item["chain"], (0, ""))
        values = {
            "chain": item["chain"],
            "seq": seq + 1,
            "subject_kind": item["subject_kind"],
            "subject_id": item["subject_id"],
            "outfall_id": item.get("outfall_id"),
            "action": item["action"],
            "changes": canonical_json(item["changes"]),
        }
        values["hash"] = hash_of(prev_hash, values)
        values["prev_hash"] = prev_hash
        values.update(fixed)
        heads[item["chain"]] = (values["seq"], values["hash"])
        rows.append(values)
    insert_rows(db.session, _raw_entries(), rows)


class PublicEntry(NamedTuple):
    """An entry as the public history shows it: no staff, only public fields."""

    created_at: datetime
    action: str
    subject_kind: str
    department: Department | None
    reason: str
    changes: list[dict[str, Any]]


def public_history(outfall_id: int, *, limit: int = 200) -> list[PublicEntry]:
    """An outfall's entries, newest first, each with only its public changes.

    Entries whose every change is internal are left out.
    """
    entries = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.outfall_id == outfall_id)
        .options(joinedload(LedgerEntry.department))
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    ).all()
    shown = []
    for entry in entries:
        public = [c for c in entry.changes if c.get("public")]
        if public or not entry.changes:
            shown.append(
                PublicEntry(
                    entry.created_at,
                    entry.action,
                    entry.subject_kind,
                    entry.department,
                    entry.reason,
                    public,
                )
            )
    return shown


def last_updated(outfall_ids: Collection[int]) -> dict[int, datetime]:
    """When each outfall's record last changed, in one query (outfalls never edited: absent)."""
    if not outfall_ids:
        return {}
    rows = db.session.execute(
        select(LedgerEntry.outfall_id, func.max(LedgerEntry.created_at))
        .where(LedgerEntry.outfall_id.in_(list(outfall_ids)))
        .group_by(LedgerEntry.outfall_id)
    )
    return {outfall_id: at for outfall_id, at in rows}


def verify_ledger(batch: int = 5000) -> tuple[str, int] | None:
    """The first entry whose chain is broken, as (chain, seq); None if every chain holds.

    Walks each chain in order (keyset pages, constant memory): every entry must carry the
    next sequence number, follow the previous one's hash, and hash to itself.
    """
    after = ("", 0)
    chain, prev_hash, prev_seq = None, "", 0
    while True:
        entries = db.session.scalars(
            select(LedgerEntry)
            .where(
                or_(
                    LedgerEntry.chain > after[0],
                    and_(LedgerEntry.chain == after[0], LedgerEntry.seq > after[1]),
                )
            )
            .order_by(LedgerEntry.chain, LedgerEntry.seq)
            .limit(batch)
        ).all()
        if not entries:
            return None
        for entry in entries:
            if entry.chain != chain:
                chain, prev_hash, prev_seq = entry.chain, "", 0
            if (
                entry.seq != prev_seq + 1
                or entry.prev_hash != prev_hash
                or chain_hash(entry.prev_hash, entry_fields(entry)) != entry.hash
            ):
                return entry.chain, entry.seq
            prev_hash, prev_seq = entry.hash, entry.seq
        after = (entries[-1].chain, entries[-1].seq)
        db.session.expunge_all()
