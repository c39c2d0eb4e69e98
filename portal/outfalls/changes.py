"""The registry's change sequence, read by whoever keeps a copy of the registry current.

Every change to the registry, by any door (forms, import, API) on any node, writes a
`LedgerEntry` in the change's own transaction; the entry's id is the change sequence.
A reader (a node's search index, a worker's page cache and map grid) remembers how far it
has applied that sequence in a `Mark` and asks for what is new with `since`: one indexed
query, which returns nothing when nothing changed.

**Ids do not become visible in order.** On PostgreSQL an id is drawn from a sequence when
the row is inserted, but the row is seen only once its transaction commits: a transaction
that took id 10 may commit after the one that took id 11 (and an import that took ids
1000–90000 commits long after a form took 90001). A reader that remembered only "applied
up to 11" would miss entry 10 forever. So a `Mark` keeps, besides the highest id applied,
the *gaps* below it: ranges of ids not yet seen. `since` asks for ids above the highest
and for ids inside the gaps; an entry that turns up in a gap is applied and the gap
shrinks. A gap is given up after `GAP_GRACE_SECONDS`, when it can only be an id that was
never committed (a rolled-back transaction consumes ids, and so do sequence caches): no
registry transaction stays open that long (the 100k-row import commits in well under a
minute). SQLite writes one transaction at a time, so its ids arrive in order and the gaps
are only rolled-back ids.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from .models import LedgerEntry

# A gap older than this is an id that will never be committed (see the module docstring).
GAP_GRACE_SECONDS = 900.0
# When a reader starts from the head of the sequence, ids missing among the newest this
# many are taken as transactions still in flight (gaps), older ones as never committed.
HEAD_WINDOW = 10_000
# A mark keeps at most this many gaps; beyond that the oldest are given up.
MAX_GAPS = 500


@dataclass(frozen=True)
class Gap:
    """Ids lo..hi (inclusive) not seen yet, first noticed at `since` (epoch seconds)."""

    lo: int
    hi: int
    since: float


@dataclass(frozen=True)
class Mark:
    """How far a reader has applied the change sequence: every id up to `top` except the
    ids in `gaps`, which may still arrive."""

    top: int = 0
    gaps: tuple[Gap, ...] = field(default=())

    def as_json(self) -> dict:
        return {"top": self.top, "gaps": [[g.lo, g.hi, g.since] for g in self.gaps]}

    @classmethod
    def from_json(cls, data: dict) -> "Mark":
        """A mark as `as_json` wrote it.

        Raises:
            KeyError, TypeError, ValueError: not a mark.
        """
        gaps = tuple(Gap(int(lo), int(hi), float(at)) for lo, hi, at in data["gaps"])
        return cls(int(data["top"]), gaps)


class Change(NamedTuple):
    """What a reader needs to know of one entry: which records it touched."""

    id: int
    outfall_id: int | None
    subject_kind: str
    subject_id: int
    chain: str


def _columns():
    return (
        LedgerEntry.id,
        LedgerEntry.outfall_id,
        LedgerEntry.subject_kind,
        LedgerEntry.subject_id,
        LedgerEntry.chain,
    )


def head(session: Session, now: float | None = None) -> Mark:
    """A mark at the newest entry, with the missing ids among the last HEAD_WINDOW as gaps.

    A reader that starts from here (a fresh process, a rebuilt index) has already got
    everything committed; what is still in flight arrives through the gaps.
    """
    now = time.time() if now is None else now
    top = session.scalar(select(func.max(LedgerEntry.id))) or 0
    low = max(0, top - HEAD_WINDOW)
    seen = session.scalars(
        select(LedgerEntry.id).where(LedgerEntry.id > low).order_by(LedgerEntry.id)
    ).all()
    return Mark(top, tuple(_missing(low, seen, top, now)))


def _missing(after: int, ids: Sequence[int], upto: int, now: float) -> list[Gap]:
    """Ranges of ids in (after, upto] absent from the sorted `ids`."""
    gaps, expect = [], after + 1
    for i in ids:
        if i > upto:
            break
        if i > expect:
            gaps.append(Gap(expect, i - 1, now))
        expect = max(expect, i + 1)
    if expect <= upto:
        gaps.append(Gap(expect, upto, now))
    return gaps


def since(session: Session, mark: Mark, limit: int | None = None) -> list[Change]:
    """Entries the mark has not applied, by id: above its top or inside its gaps.

    One query on the primary key; nothing comes back when nothing changed.
    """
    wanted = [LedgerEntry.id > mark.top]
    wanted += [and_(LedgerEntry.id >= g.lo, LedgerEntry.id <= g.hi) for g in mark.gaps]
    query = select(*_columns()).where(or_(*wanted)).order_by(LedgerEntry.id)
    if limit is not None:
        query = query.limit(limit)
    return [Change(*row) for row in session.execute(query)]


def advance(mark: Mark, changes: Sequence[Change], now: float | None = None) -> Mark:
    """The mark after applying `changes` (as `since` returned them, all of them).

    Ids skipped above the old top become gaps; gaps shrink by the ids that arrived and
    are given up after GAP_GRACE_SECONDS.
    """
    now = time.time() if now is None else now
    ids = sorted({c.id for c in changes})
    gaps: list[Gap] = []
    for gap in mark.gaps:
        inside = [i for i in ids if gap.lo <= i <= gap.hi]
        if not inside:
            gaps.append(gap)
            continue
        gaps += [Gap(g.lo, g.hi, gap.since) for g in _missing(gap.lo - 1, inside, gap.hi, now)]
    above = [i for i in ids if i > mark.top]
    top = above[-1] if above else mark.top
    gaps += _missing(mark.top, above, top, now)
    gaps = [g for g in gaps if now - g.since < GAP_GRACE_SECONDS and g.hi >= g.lo]
    gaps.sort(key=lambda g: g.lo)
    return Mark(top, tuple(gaps[-MAX_GAPS:]))


@dataclass
class Touched:
    """The records a batch of changes touched, by kind (what the search index must redo)."""

    outfalls: set[int] = field(default_factory=set)
    entities: set[int] = field(default_factory=set)
    waters: set[int] = field(default_factory=set)
    regions: set[int] = field(default_factory=set)


# Subject kinds (and chain prefixes) that are not outfalls but show on outfalls' pages.
_KINDS = {
    "entity": "entities",
    "water": "waters",
    "water_body": "waters",
    "region": "regions",
}


def touched(changes: Sequence[Change]) -> Touched:
    """Which outfalls, entities, water bodies and regions these changes touched."""
    out = Touched()
    for change in changes:
        if change.outfall_id is not None:
            out.outfalls.add(change.outfall_id)
        kind = _KINDS.get(change.subject_kind) or _KINDS.get(change.chain.split(":", 1)[0])
        if kind is not None:
            getattr(out, kind).add(change.subject_id)
        elif change.subject_kind == "outfall":
            out.outfalls.add(change.subject_id)
    return out
