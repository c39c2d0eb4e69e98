"""The search index: build, update and query. Views call query(), never whoosh directly.

One index per directory, one searcher per process (refreshed when a commit changed the
index, reopened when `reindex` swapped the directory). A missing or unreadable index is
rebuilt from the database, which stays the source of truth.
"""

import fcntl
import gc
import logging
import os
import shutil
import threading
import uuid
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from math import ceil
from pathlib import Path

from flask import current_app, has_request_context
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.collectors import TopCollector
from whoosh.matching import IntersectionMatcher, WrappingMatcher
from whoosh.query import And, Or, Term
from whoosh.scoring import Frequency
from whoosh.writing import AsyncWriter

from ..core.codes import is_plausible_code, normalise_code
from ..geo.models import Region, WaterBody
from ..outfalls.models import Entity, Outfall, OutfallResponsibility
from .analysis import (
    is_ascii_word,
    is_cjk,
    normalise_text,
    pinyin_keywords,
    query_words,
    weighted_parts,
)
from .schema import HIGHLIGHT_FIELDS, make_schema

log = logging.getLogger(__name__)

BATCH = 2000
CODE_BOOST = 50.0
PINYIN_BOOST = 1.5
MAX_WORDS = 12
SCORE_EPSILON = 1e-4
# Up to this many outfalls a search counts its matches exactly; above, whoosh estimates.
EXACT_COUNT_UP_TO = 10_000


@dataclass
class SearchPage:
    """One page of hits: (outfall_id, {field: Markup}) in rank order, and the total."""

    items: list[tuple[int, dict[str, Markup]]]
    total: int
    page: int
    per_page: int = 20
    words: list[str] = field(default_factory=list)
    # False when `total` is whoosh's estimate: the search stopped reading once it had the
    # page and knew a next one exists (counting every match would cost more than the page).
    exact: bool = True
    # True when the index is being rebuilt and a plain database search stood in.
    degraded: bool = False

    @property
    def pages(self) -> int:
        if not self.exact:
            return self.page + 1
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class SearchFilters:
    type: str | None = None
    kind: str | None = None

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


# --- documents ------------------------------------------------------------------------


def _region_names(session: Session) -> dict[int, str]:
    """Each region with its parents ("钦南区 钦州市 广西壮族自治区"): one query."""
    rows = {
        rid: (name, parent)
        for rid, name, parent in session.execute(select(Region.id, Region.name, Region.parent_id))
    }
    out = {}
    for rid in rows:
        names, cur, hops = [], rid, 0
        while cur is not None and cur in rows and hops < 6:
            names.append(rows[cur][0])
            cur, hops = rows[cur][1], hops + 1
        out[rid] = " ".join(names)
    return out


def _docs(session: Session, ids: Iterable[int] | None = None) -> Iterator[dict]:
    """Index documents of the given outfalls (all when ids is None), a few queries per batch."""
    regions = _region_names(session)
    waters = dict(session.execute(select(WaterBody.id, WaterBody.name)).all())
    cols = (
        Outfall.id,
        Outfall.code,
        Outfall.local_code,
        Outfall.name,
        Outfall.category_l1,
        Outfall.water_kind,
        Outfall.address,
        Outfall.region_id,
        Outfall.water_body_id,
        Outfall.management_entity_id,
        Outfall.seg_water,
        Outfall.seg_region,
        Outfall.seg_type,
        Outfall.seg_serial,
    )
    if ids is None:
        last = 0
        while True:
            rows = session.execute(
                select(*cols).where(Outfall.id > last).order_by(Outfall.id).limit(BATCH)
            ).all()
            if not rows:
                return
            yield from _batch_docs(session, rows, regions, waters)
            last = rows[-1].id
    else:
        wanted = sorted(set(ids))
        for i in range(0, len(wanted), BATCH):
            chunk = wanted[i : i + BATCH]
            rows = session.execute(select(*cols).where(Outfall.id.in_(chunk))).all()
            yield from _batch_docs(session, rows, regions, waters)


def _batch_docs(session, rows, regions, waters) -> Iterator[dict]:
    outfall_ids = [r.id for r in rows]
    entity_names: dict[int, list[str]] = {}
    for oid, name in session.execute(
        select(OutfallResponsibility.outfall_id, Entity.name)
        .join(Entity, Entity.id == OutfallResponsibility.entity_id)
        .where(OutfallResponsibility.outfall_id.in_(outfall_ids))
    ):
        entity_names.setdefault(oid, []).append(name)
    manager_ids = {r.management_entity_id for r in rows if r.management_entity_id}
    managers = (
        dict(
            session.execute(select(Entity.id, Entity.name).where(Entity.id.in_(manager_ids))).all()
        )
        if manager_ids
        else {}
    )
    for r in rows:
        names = list(entity_names.get(r.id, []))
        if r.management_entity_id in managers and managers[r.management_entity_id] not in names:
            names.append(managers[r.management_entity_id])
        entity = " ".join(names)
        water = waters.get(r.water_body_id, "")
        region = regions.get(r.region_id, "")
        codes = {
            r.code,
            normalise_code(r.local_code or ""),
            r.seg_water,
            r.seg_region,
            (r.seg_type or "") + (r.seg_serial or ""),
        }
        yield dict(
            id=str(r.id),
            code=" ".join(sorted(c for c in codes if c)),
            name=r.name,
            water=water,
            entity=entity,
            region=region,
            address=r.address or "",
            all=weighted_parts(r.name, water, entity, region, r.address or ""),
            pinyin=pinyin_keywords(r.name, water, entity, region),
            type=str(r.category_l1.value if hasattr(r.category_l1, "value") else r.category_l1),
            kind=str(r.water_kind.value if hasattr(r.water_kind, "value") else r.water_kind),
        )


# --- index lifecycle ------------------------------------------------------------------


def open_or_create(directory: str):
    """Open the index in directory, creating an empty one if there is none."""
    os.makedirs(directory, exist_ok=True)
    if whoosh_index.exists_in(directory):
        return whoosh_index.open_dir(directory)
    return whoosh_index.create_in(directory, make_schema())


@contextmanager
def _rebuild_lock(directory: str, *, wait: bool) -> Iterator[bool]:
    """The index's rebuild lock, shared by every process; yields whether it is held.

    Two workers finding the same index broken must not both spend minutes rebuilding it.
    """
    directory = os.path.abspath(directory)
    os.makedirs(os.path.dirname(directory), exist_ok=True)
    with open(f"{directory}.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def rebuild(session: Session, directory: str, *, procs: int = 1) -> int:
    """Build a fresh index from the database beside directory, then swap it in.

    With procs > 1, that many processes analyse documents side by side and each writes its
    own segment (no merge): 100k outfalls in about 2 instead of 4 minutes on two cores. Only
    for a single-threaded process such as a command: forking a process that serves requests
    on several threads can copy a lock another thread holds.
    """
    with _rebuild_lock(directory, wait=True):
        return _rebuild(session, directory, procs=procs)


def _rebuild(session: Session, directory: str, *, procs: int = 1) -> int:
    directory = os.path.abspath(directory)
    tmp = f"{directory}.new-{uuid.uuid4().hex[:8]}"
    os.makedirs(tmp)
    count = 0
    try:
        ix = whoosh_index.create_in(tmp, make_schema())
        if procs > 1:
            writer = ix.writer(
                procs=procs, multisegment=True, limitmb=max(64, 256 // procs), batchsize=500
            )
        else:
            writer = ix.writer(limitmb=256, procs=1, multisegment=False)
        try:
            for doc in _docs(session):
                writer.add_document(**doc)
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        old = f"{directory}.old-{uuid.uuid4().hex[:8]}"
        if os.path.exists(directory):
            os.rename(directory, old)
        os.rename(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _drop(directory)
    log.info("search index rebuilt: %d outfalls in %s", count, directory)
    return count


def _searcher(ix):
    """Scores are sums of posting weights (see JiebaTokenizer): a word in the name counts 4,
    in the water body 2 … No per-document length normalisation, so a posting block's best
    possible score is known in advance: once a page is full, whoosh skips every block that
    cannot beat it instead of scoring the thousands of outfalls a common word matches."""
    return ix.searcher(weighting=Frequency())


class _TopCollector(TopCollector):
    """whoosh's TopCollector, but it knows the lowest score on the page once the page is full.

    whoosh 2.7 sets `minscore` (from 0) only when a later hit displaces one in the heap; when the
    first `limit` hits already have the best score there is (common: scores take few
    values), it never learns the bar and reads the whole posting list. With `minscore`
    set, the matcher skips every block whose best score cannot beat it, or stops at once.
    """

    def __init__(self, limit: int, allow: set[int] | None = None):
        super().__init__(limit=limit)
        self.allow = allow

    def collect(self, sub_docnum):
        # Filtering here, not with whoosh's FilterCollector: that one counts every
        # match afterwards, which undoes the skipping.
        if self.allow is not None and self.offset + sub_docnum not in self.allow:
            return None
        return super().collect(sub_docnum)

    def _collect(self, global_docnum, score):
        key = super()._collect(global_docnum, score)
        if len(self.items) >= self.limit:
            # A later hit needs a strictly higher score to enter the page. Intersections
            # skip only blocks whose best is strictly below the bar, so the bar is set a
            # hair above the lowest score (scores are sums of weights 1, 2, 3 times query
            # boosts, so no real score lies in between).
            self.minscore = self.items[0][0] + SCORE_EPSILON
        return key


class _Holder:
    def __init__(self, ix, inode: int):
        self.ix = ix
        self.inode = inode
        self.renew()

    def renew(self) -> None:
        """A searcher on the latest commit, and no filter sets from the previous one."""
        self.searcher = _searcher(self.ix)
        self.filters: dict[tuple, set[int]] = {}

    def filter_docs(self, filters: "SearchFilters") -> set[int] | None:
        """Document numbers passing the filters, computed once per searcher.

        A filter term such as type=GY matches tens of thousands of documents; reading its
        posting list on every query would cost more than the query itself.
        """
        args = filters.as_args()
        if not args:
            return None
        key = tuple(sorted(args.items()))
        docs = self.filters.get(key)
        if docs is None:
            terms = [Term(k, v) for k, v in key]
            docs = set(self.searcher.docs_for_query(And(terms)))
            if len(self.filters) >= 64:
                self.filters.clear()
            self.filters[key] = docs
        return docs


_holders: dict[str, _Holder] = {}
_lock = threading.RLock()


def _inode(directory: str) -> int:
    try:
        return os.stat(directory).st_ino
    except OSError:
        return -1


def _drop(directory: str) -> None:
    with _lock:
        holder = _holders.pop(os.path.abspath(directory), None)
    if holder is not None:
        try:
            holder.searcher.close()
        except Exception:  # noqa: BLE001 - closing a broken searcher may fail too
            pass


def _session_factory():
    from ..extensions import db

    return Session(bind=db.engine)


def _describe(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(exc)).strip()


@contextmanager
def _quiet_leaks():
    """Whoosh leaves files open when it chokes on a corrupt one; close them quietly.

    Only used on the failure and open paths, never per query (catch_warnings is global).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            yield
        finally:
            gc.collect()


class IndexUnavailable(Exception):
    """The index is missing or unreadable and is being rebuilt in the background."""


_rebuilds: dict[str, threading.Thread] = {}
# Outfalls changed while the index was being rebuilt: written once it is back.
_pending: dict[str, set[int]] = {}


def _rebuild_in_background(app, directory: str) -> None:
    try:
        with app.app_context(), _rebuild_lock(directory, wait=False) as mine:
            if not mine:
                return  # another process is rebuilding it
            with _session_factory() as session:
                _rebuild(session, directory)
            with _lock:
                pending = _pending.pop(directory, set())
            if pending:
                upsert(pending, directory=directory)
    except Exception:  # noqa: BLE001 - the next search tries again
        log.exception("rebuilding the search index at %s failed", directory)


def _repair(directory: str, reason: str) -> None:
    """Rebuild the index from the database.

    Serving a request, the rebuild runs in a thread (at 100k outfalls it takes minutes,
    far beyond any request timeout) and IndexUnavailable tells the caller to make do;
    elsewhere (commands) it runs here and now.
    """
    directory = os.path.abspath(directory)
    log.warning("search index at %s %s; rebuilding from the database", directory, reason)
    if not has_request_context():
        with _session_factory() as session:
            rebuild(session, directory)
        return
    with _lock:
        thread = _rebuilds.get(directory)
        if thread is None or not thread.is_alive():
            thread = threading.Thread(
                target=_rebuild_in_background,
                args=(current_app._get_current_object(), directory),
                name="search-rebuild",
                daemon=True,
            )
            _rebuilds[directory] = thread
            thread.start()
    raise IndexUnavailable(directory)


def rebuilding(directory: str | None = None) -> bool:
    """Whether another thread of this process is rebuilding the index."""
    thread = _rebuilds.get(os.path.abspath(_index_dir(directory)))
    return thread is not None and thread.is_alive() and thread is not threading.current_thread()


def wait_for_rebuilds(timeout: float | None = None) -> None:
    """Let background rebuilds finish (tests; a clean shutdown)."""
    for thread in list(_rebuilds.values()):
        thread.join(timeout)


def _open_holder(directory: str) -> _Holder | None:
    """Open the index, rebuilt first if missing or of another version; None if unreadable."""
    if not os.path.isdir(directory) or not any(n.endswith(".toc") for n in os.listdir(directory)):
        _repair(directory, "is missing")
    try:
        ix = whoosh_index.open_dir(directory)
        if sorted(ix.schema.names()) != sorted(make_schema().names()):
            # Built by an earlier version of the portal: rebuild with today's fields.
            ix.close()
            _repair(directory, "has another version's fields")
            ix = whoosh_index.open_dir(directory)
        return _Holder(ix, _inode(directory))
    except IndexUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file means: rebuild
        # Log text only: keeping the traceback would keep whoosh's open files alive.
        log.error("search index at %s cannot be opened: %s", directory, _describe(exc))
        return None


def _holder(directory: str) -> _Holder:
    """The process's index and searcher for directory.

    Raises:
        IndexUnavailable: the index is being rebuilt in the background (requests only).
    """
    directory = os.path.abspath(directory)
    with _lock:
        holder = _holders.get(directory)
        if holder is not None and holder.inode == _inode(directory):
            if not holder.searcher.up_to_date():
                # Not searcher.refresh(): in whoosh-reloaded 2.7.5 it reuses segment
                # readers with their old deletion sets, so updated documents show twice.
                # The old searcher is left to the garbage collector (another thread may
                # still be reading it).
                holder.renew()
            return holder
        if holder is not None:
            _drop(directory)
        if rebuilding(directory):
            raise IndexUnavailable(directory)
        with _quiet_leaks():
            holder = _open_holder(directory)
        if holder is None:
            _repair(directory, "is corrupt")
            holder = _Holder(whoosh_index.open_dir(directory), _inode(directory))
        _holders[directory] = holder
        pending = _pending.pop(directory, set())
    if pending:
        upsert(pending, directory=directory)
        holder.renew()
    return holder


def _index_dir(directory: str | None) -> str:
    if directory:
        return directory
    return current_app.config["SEARCH_INDEX_DIR"]


def upsert(ids: Iterable[int], session: Session | None = None, directory: str | None = None):
    """(Re)write the documents of these outfalls; ids no longer in the database are deleted."""
    ids = set(ids)
    if not ids:
        return
    directory = _index_dir(directory)
    try:
        ix = _holder(directory).ix
    except IndexUnavailable:
        with _lock:
            _pending.setdefault(os.path.abspath(directory), set()).update(ids)
        return
    own = session is None
    session = session or _session_factory()
    try:
        writer = AsyncWriter(ix)
        found = set()
        for doc in _docs(session, ids):
            found.add(int(doc["id"]))
            writer.update_document(**doc)
        for missing in ids - found:
            writer.delete_by_term("id", str(missing))
        writer.commit()
    finally:
        if own:
            session.close()


def delete(ids: Iterable[int], directory: str | None = None) -> None:
    ids = set(ids)
    if not ids:
        return
    directory = _index_dir(directory)
    try:
        ix = _holder(directory).ix
    except IndexUnavailable:
        with _lock:
            _pending.setdefault(os.path.abspath(directory), set()).update(ids)
        return
    writer = AsyncWriter(ix)
    for i in ids:
        writer.delete_by_term("id", str(i))
    writer.commit()


# --- querying -------------------------------------------------------------------------


class RarestFirstAnd(And):
    """And, intersecting the rarest posting lists first (a left-deep chain).

    whoosh's And pairs the two longest lists deepest in its tree, so "浦北县 泉水 镇 石龙 村民
    委员会" walks every outfall with both 镇 and 委员会 (100 ms) before the rare 石龙 can
    rule them out. Led by the rarest, the others only skip to its few candidates (1 ms).
    """

    def _matcher(self, subs, searcher, context):
        reader = searcher.reader()
        ranked = sorted(
            ((q.estimate_size(reader), i, q) for i, q in enumerate(subs)), key=lambda t: t[:2]
        )
        matcher = ranked[0][2].matcher(searcher, context)
        for _size, _i, q in ranked[1:]:
            matcher = IntersectionMatcher(matcher, q.matcher(searcher, context))
        if self.boost != 1.0:
            matcher = WrappingMatcher(matcher, self.boost)
        return matcher


def _all_of(queries: list):
    return queries[0] if len(queries) == 1 else RarestFirstAnd(queries)


def _split_word(searcher, word: str) -> bool:
    """A CJK word the index does not hold: jieba cut the documents differently."""
    if len(word) < 2 or not all(is_cjk(c) for c in word):
        return False
    return not searcher.doc_frequency("all", word)


def _word_query(searcher, word: str):
    """A word matches the combined text, or (ASCII) a code, or (letters) a pinyin key."""
    alts = []
    if is_ascii_word(word):
        alts.append(Term("code", word, boost=CODE_BOOST))
        if word.isalpha():
            alts.append(Term("pinyin", word, boost=PINYIN_BOOST))
    if _split_word(searcher, word):
        # Fall back to the word's characters, all of them.
        alts.append(_all_of([Term("all", c) for c in word]))
    else:
        alts.append(Term("all", word))
    return Or(alts) if len(alts) > 1 else alts[0]


def build_query(searcher, q: str):
    words = query_words(q)[:MAX_WORDS]
    if not words:
        return None, []
    if len(words) > 1 and all(w.isascii() and w.isalpha() for w in words):
        # Pinyin typed with spaces ("qin jiang"): the joined key is one indexed term.
        joined = "".join(words)
        if searcher.doc_frequency("pinyin", joined):
            return Term("pinyin", joined, boost=PINYIN_BOOST), words
    query = _all_of([_word_query(searcher, w) for w in words])
    code = normalise_code(q)
    if len(words) > 1 and is_plausible_code(code):
        query = Or([Term("code", code.lower(), boost=CODE_BOOST), query])
    return query, words


def query(
    q: str,
    *,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = 20,
    directory: str | None = None,
) -> SearchPage:
    """Rank outfalls for q; exact code hits first, then name, water, entity, region, address."""
    directory = _index_dir(directory)
    try:
        return _query(directory, q, filters, page, per_page)
    except IndexUnavailable:
        pass
    except Exception as exc:  # noqa: BLE001 - a broken index must never cost the user a 500
        with _quiet_leaks():
            log.error("search failed on the index at %s: %s", directory, _describe(exc))
            del exc
            _drop(directory)
        try:
            _repair(directory, "failed a query")
            return _query(directory, q, filters, page, per_page)
        except IndexUnavailable:
            pass
    return _fallback(q, filters, page, per_page)


def _fallback(q: str, filters: SearchFilters | None, page: int, per_page: int) -> SearchPage:
    """While the index is rebuilt: outfalls whose name or address holds every word, or
    whose code or local code is the query, straight from the database (no ranking)."""
    from sqlalchemy import and_, func, or_

    from ..extensions import db

    words = query_words(q)[:MAX_WORDS]
    if not words:
        return SearchPage([], 0, page, per_page, [], degraded=True)
    code = normalise_code(q)
    text = func.lower(Outfall.name + " " + func.coalesce(Outfall.address, ""))
    stmt = select(Outfall.id, Outfall.name, Outfall.address).where(
        or_(
            Outfall.code == code,
            Outfall.local_code == q.strip(),
            and_(*(text.contains(w, autoescape=True) for w in words)),
        )
    )
    if filters is not None and filters.type:
        stmt = stmt.where(Outfall.category_l1 == filters.type)
    if filters is not None and filters.kind:
        stmt = stmt.where(Outfall.water_kind == filters.kind)
    rows = db.session.execute(
        stmt.order_by(Outfall.id).offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    more = len(rows) > per_page
    items = [
        (r.id, highlight({"name": r.name, "address": r.address or ""}, words))
        for r in rows[:per_page]
    ]
    total = (page - 1) * per_page + len(rows)
    return SearchPage(items, total, page, per_page, words, exact=not more, degraded=True)


def _query(directory, q, filters, page, per_page) -> SearchPage:
    holder = _holder(directory)
    searcher = holder.searcher
    wq, words = build_query(searcher, q)
    if wq is None:
        return SearchPage([], 0, page, per_page, [])
    flt = holder.filter_docs(filters) if filters is not None else None
    if flt is not None and not flt:
        # Nothing passes the filters (whoosh would read an empty set as "no filter").
        return SearchPage([], 0, page, per_page, words)
    end = page * per_page
    # One more than the page needs: tells whether a next page exists without counting
    # every match (an exact count over 100k hits costs hundreds of milliseconds).
    collector = _TopCollector(limit=end + 1, allow=flt)
    searcher.search_with_collector(wq, collector)
    results = collector.results()
    found = results.scored_length()
    exact = found <= end or results.has_exact_length()
    if found <= end:
        total = found
    elif exact:
        total = len(results)
    elif searcher.doc_count() <= EXACT_COUNT_UP_TO:
        # A city's registry: counting every match costs a few milliseconds.
        matches = set(searcher.docs_for_query(wq))
        total = len(matches & flt if flt is not None else matches)
        exact = True
    else:
        estimate = results.estimated_length()
        if flt is not None:
            # Type and water kind are independent enough of the words to scale by.
            estimate = round(estimate * len(flt) / max(1, searcher.doc_count()))
        total = max(end + 1, estimate)
    split = {w for w in words if _split_word(searcher, w)}
    items = []
    for hit in results[(page - 1) * per_page : end]:
        stored = hit.fields()
        items.append((int(stored["id"]), highlight(stored, words, split)))
    return SearchPage(items, total, page, per_page, words, exact)


# --- highlighting ---------------------------------------------------------------------


def _mark(text: str, spans: list[tuple[int, int]]) -> Markup:
    """text with spans wrapped in <mark>; everything else escaped."""
    if not spans:
        return escape(text)
    spans.sort()
    merged = [list(spans[0])]
    for s, e in spans[1:]:
        if s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(escape(text[pos:s]))
        out.append(Markup("<mark>%s</mark>") % text[s:e])
        pos = e
    out.append(escape(text[pos:]))
    return Markup("").join(out)


@lru_cache(maxsize=65536)
def _char_pinyin(ch: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(ch)[0]


@lru_cache(maxsize=16384)
def _pinyin_map(text: str) -> tuple[str, dict[int, int], dict[int, int]]:
    """The text's CJK characters as one pinyin string ("|" between runs), and maps from
    offsets in that string where a syllable starts / ends to the character's position.
    Cached: water bodies, regions and entities repeat on every page of results."""
    parts: list[str] = []
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    pos, prev = 0, None
    for i, ch in enumerate(text):
        if not is_cjk(ch):
            continue
        if prev is not None and prev != i - 1:
            parts.append("|")
            pos += 1
        syllable = _char_pinyin(ch)
        starts[pos] = i
        pos += len(syllable)
        ends[pos] = i + 1
        parts.append(syllable)
        prev = i
    return "".join(parts), starts, ends


def _find_all(text: str, word: str) -> Iterator[int]:
    at = text.find(word)
    while at != -1:
        yield at
        at = text.find(word, at + len(word))


def _pinyin_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Characters whose pinyin spells a query word, on syllable boundaries."""
    targets = {w for w in words if w.isascii() and w.isalpha()}
    if not targets:
        return []
    if len(words) > 1 and len(targets) == len(words):
        targets = {"".join(words)}  # "qin jiang" was searched as one key
    joined, starts, ends = _pinyin_map(text)
    spans = []
    for target in targets:
        for at in _find_all(joined, target):
            if at in starts and at + len(target) in ends:
                spans.append((starts[at], ends[at + len(target)]))
    return spans


def highlight(stored: dict, words: list[str], split: set[str] = frozenset()) -> dict[str, Markup]:
    """Each stored field with the query's words marked (always includes the name).

    A word is marked wherever it occurs; a word in `split` (matched character by
    character) has its characters marked; pinyin words mark the characters they spell.
    """
    needles = []
    for word in words:
        needles.extend(word if word in split else [word])
    out = {}
    for name in HIGHLIGHT_FIELDS:
        text = stored.get(name) or ""
        if not text:
            continue
        lowered = normalise_text(text)
        if len(lowered) != len(text):
            lowered = text.lower()
        spans = [(at, at + len(n)) for n in needles for at in _find_all(lowered, n)]
        spans += _pinyin_spans(text, words)
        if spans or name == "name":
            out[name] = _mark(text, spans)
    return out


def reset() -> None:
    """Forget every open index (tests, or after a fork)."""
    for directory in list(_holders):
        _drop(directory)


def default_dir(instance_path: str) -> str:
    return str(Path(instance_path) / "search_index")
