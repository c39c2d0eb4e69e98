"""The search index: build, update and query. Views call query(), never whoosh directly.

One index per directory, one searcher per process (refreshed when a commit changed the
index, reopened when `reindex` swapped the directory). A missing or unreadable index is
rebuilt from the database, which stays the source of truth.
"""

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

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.query import And, Or, Term
from whoosh.scoring import BM25F, Frequency, MultiWeighting
from whoosh.writing import AsyncWriter

from ..core.codes import is_plausible_code, normalise_code
from ..geo.models import Region, WaterBody
from ..outfalls.models import Entity, Outfall, OutfallResponsibility
from .analysis import (
    chinese_analyzer,
    is_ascii_word,
    is_cjk,
    normalise_text,
    pinyin_keywords,
    query_words,
)
from .schema import HIGHLIGHT_FIELDS, TEXT_FIELDS, make_schema

log = logging.getLogger(__name__)

BATCH = 2000
CODE_BOOST = 50.0
PINYIN_BOOST = 1.5
MAX_WORDS = 12


@dataclass
class SearchPage:
    """One page of hits: (outfall_id, {field: Markup}) in rank order, and the total."""

    items: list[tuple[int, dict[str, Markup]]]
    total: int
    page: int
    per_page: int = 20
    words: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
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


def rebuild(session: Session, directory: str) -> int:
    """Build a fresh index from the database beside directory, then swap it in."""
    directory = os.path.abspath(directory)
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    tmp = f"{directory}.new-{uuid.uuid4().hex[:8]}"
    os.makedirs(tmp)
    count = 0
    try:
        ix = whoosh_index.create_in(tmp, make_schema())
        writer = ix.writer(limitmb=256)
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
    """BM25F, but pinyin keys score by frequency only: no per-document length lookups, and
    equal scores let whoosh skip whole posting blocks once the page is full."""
    return ix.searcher(weighting=MultiWeighting(BM25F(), pinyin=Frequency()))


class _Holder:
    def __init__(self, ix, inode: int):
        self.ix = ix
        self.inode = inode
        self.searcher = _searcher(ix)


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


def _rebuild_from_db(directory: str, reason: str) -> None:
    log.warning("search index at %s %s; rebuilding from the database", directory, reason)
    with _session_factory() as session:
        rebuild(session, directory)


def _open_holder(directory: str) -> _Holder | None:
    """Open the index (rebuilding it if missing); None if it cannot be read."""
    if not os.path.isdir(directory) or not any(n.endswith(".toc") for n in os.listdir(directory)):
        _rebuild_from_db(directory, "is missing")
    try:
        ix = whoosh_index.open_dir(directory)
        return _Holder(ix, _inode(directory))
    except Exception as exc:  # noqa: BLE001 - any unreadable file means: rebuild
        # Log text only: keeping the traceback would keep whoosh's open files alive.
        log.error("search index at %s cannot be opened: %s", directory, _describe(exc))
        return None


def _holder(directory: str) -> _Holder:
    """The process's index and searcher for directory (rebuilt if missing or unreadable)."""
    directory = os.path.abspath(directory)
    with _lock:
        holder = _holders.get(directory)
        if holder is not None and holder.inode == _inode(directory):
            if not holder.searcher.up_to_date():
                # Not searcher.refresh(): in whoosh-reloaded 2.7.5 it reuses segment
                # readers with their old deletion sets, so updated documents show twice.
                # The old searcher is left to the garbage collector (another thread may
                # still be reading it).
                holder.searcher = _searcher(holder.ix)
            return holder
        if holder is not None:
            _drop(directory)
        with _quiet_leaks():
            holder = _open_holder(directory)
        if holder is None:
            _rebuild_from_db(directory, "is corrupt")
            ix = whoosh_index.open_dir(directory)
            holder = _Holder(ix, _inode(directory))
        _holders[directory] = holder
        return holder


def _index_dir(directory: str | None) -> str:
    if directory:
        return directory
    from flask import current_app

    return current_app.config["SEARCH_INDEX_DIR"]


def upsert(ids: Iterable[int], session: Session | None = None, directory: str | None = None):
    """(Re)write the documents of these outfalls; ids no longer in the database are deleted."""
    ids = set(ids)
    if not ids:
        return
    directory = _index_dir(directory)
    own = session is None
    session = session or _session_factory()
    try:
        ix = _holder(directory).ix
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
    writer = AsyncWriter(_holder(_index_dir(directory)).ix)
    for i in ids:
        writer.delete_by_term("id", str(i))
    writer.commit()


# --- querying -------------------------------------------------------------------------


def _word_query(searcher, word: str):
    alts = []
    if is_ascii_word(word):
        alts.append(Term("code", word, boost=CODE_BOOST))
        if word.isalpha():
            alts.append(Term("pinyin", word, boost=PINYIN_BOOST))
    text_terms = [Term(f, word, boost=b) for f, b in TEXT_FIELDS.items()]
    if (
        len(word) > 1
        and all(is_cjk(c) for c in word)
        and not any(searcher.doc_frequency(f, word) for f in TEXT_FIELDS)
    ):
        # jieba cut the documents differently: fall back to the word's characters.
        text_terms = [
            And([Or([Term(f, c, boost=b) for f, b in TEXT_FIELDS.items()]) for c in word])
        ]
    alts.extend(text_terms)
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
    clauses = [_word_query(searcher, w) for w in words]
    query = And(clauses) if len(clauses) > 1 else clauses[0]
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
    except Exception as exc:  # noqa: BLE001 - a broken index must never cost the user a 500
        with _quiet_leaks():
            log.error("search failed on the index at %s: %s", directory, _describe(exc))
            del exc
            _drop(directory)
    _rebuild_from_db(directory, "failed a query")
    return _query(directory, q, filters, page, per_page)


def _query(directory, q, filters, page, per_page) -> SearchPage:
    searcher = _holder(directory).searcher
    wq, words = build_query(searcher, q)
    if wq is None:
        return SearchPage([], 0, page, per_page, [])
    flt = None
    if filters is not None:
        terms = [Term(k, v) for k, v in filters.as_args().items()]
        flt = And(terms) if len(terms) > 1 else (terms[0] if terms else None)
    end = page * per_page
    # One more than the page needs: tells whether a next page exists without counting
    # every match (an exact count over 100k hits costs hundreds of milliseconds).
    results = searcher.search(wq, limit=end + 1, filter=flt)
    found = results.scored_length()
    if found <= end:
        total = found
    else:
        total = max(end + 1, min(results.estimated_length(), searcher.doc_count()))
    items = []
    for hit in results[(page - 1) * per_page : end]:
        stored = hit.fields()
        items.append((int(stored["id"]), highlight(stored, words)))
    return SearchPage(items, total, page, per_page, words)


# --- highlighting ---------------------------------------------------------------------

_analyzer = chinese_analyzer()


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


def _pinyin_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    targets = {w for w in words if w.isascii() and w.isalpha()}
    if not targets:
        return []
    chars = [(i, c) for i, c in enumerate(text) if is_cjk(c)]
    syll = [_char_pinyin(c) for _, c in chars]
    spans = []
    for a in range(len(chars)):
        joined = ""
        for b in range(a, min(a + 6, len(chars))):
            if chars[b][0] != chars[a][0] + (b - a):
                break
            joined += syll[b]
            if joined in targets:
                spans.append((chars[a][0], chars[b][0] + 1))
    return spans


def highlight(stored: dict, words: list[str]) -> dict[str, Markup]:
    """Each stored field with the query's words marked (always includes the name)."""
    wanted = set(words)
    out = {}
    for name in HIGHLIGHT_FIELDS:
        text = stored.get(name) or ""
        if not text:
            continue
        lowered = normalise_text(text) if len(normalise_text(text)) == len(text) else text
        spans = [
            (t.startchar, t.endchar) for t in _analyzer(lowered, chars=True) if t.text in wanted
        ]
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
