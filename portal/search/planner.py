"""Query planning and the one entry point views use: query(q) -> SearchPage.

A query is the AND of its words (rarest posting list first); each word matches the
combined text, or a code, or a pinyin key. While the index is rebuilt, a plain database
search stands in (no ranking, no pinyin).
"""

import logging
from dataclasses import dataclass, field
from math import ceil

from markupsafe import Markup
from sqlalchemy import and_, func, or_, select
from whoosh.query import Or, Term

from ..core.codes import is_plausible_code, normalise_code
from ..core.paging import Paging
from ..extensions import db
from ..outfalls.models import Outfall
from . import lifecycle
from .analysis import is_ascii_word, is_cjk, query_words
from .highlight import highlight
from .whoosh_ext import PageCollector, RarestFirstAnd

log = logging.getLogger(__name__)

CODE_BOOST = 50.0
PINYIN_BOOST = 1.5
MAX_WORDS = 12
# Up to this many outfalls a search counts its matches exactly; above, whoosh estimates.
EXACT_COUNT_UP_TO = 10_000


@dataclass
class SearchPage(Paging):
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


@dataclass
class SearchFilters:
    """The search page's filters: outfall type and water kind; None means any."""

    type: str | None = None
    kind: str | None = None

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def _all_of(queries: list):
    """One query matching all of these."""
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
    """The whoosh query for q and the words it was built from; (None, []) if q has none."""
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
    directory = lifecycle.index_dir(directory)
    try:
        return _query(directory, q, filters, page, per_page)
    except lifecycle.IndexUnavailable:
        pass
    except Exception as exc:  # noqa: BLE001 - a broken index must never cost the user a 500
        with lifecycle.quiet_leaks():
            log.error("search failed on the index at %s: %s", directory, lifecycle.describe(exc))
            del exc
            lifecycle.drop(directory)
        try:
            lifecycle.repair(directory, "failed a query")
            return _query(directory, q, filters, page, per_page)
        except lifecycle.IndexUnavailable:
            pass
    return _fallback(q, filters, page, per_page)


def _fallback(q: str, filters: SearchFilters | None, page: int, per_page: int) -> SearchPage:
    """While the index is rebuilt: outfalls whose name or address holds every word, or
    whose code or local code is the query, straight from the database (no ranking)."""
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
    holder = lifecycle.holder_for(directory)
    searcher = holder.searcher
    wq, words = build_query(searcher, q)
    if wq is None:
        return SearchPage([], 0, page, per_page, [])
    flt = holder.filter_docs(filters.as_args()) if filters is not None else None
    if flt is not None and not flt:
        # Nothing passes the filters (whoosh would read an empty set as "no filter").
        return SearchPage([], 0, page, per_page, words)
    end = page * per_page
    # One more than the page needs: tells whether a next page exists without counting
    # every match (an exact count over 100k hits costs hundreds of milliseconds).
    collector = PageCollector(limit=end + 1, allow=flt)
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
