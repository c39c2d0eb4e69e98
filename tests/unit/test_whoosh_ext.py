"""Our whoosh subclasses still fit the library: the pinned version and its private hooks."""

import inspect
from importlib.metadata import version
from pathlib import Path

from whoosh.collectors import ScoredCollector, TopCollector
from whoosh.fields import ID, KEYWORD, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.query import And, CompoundQuery, Term

from portal.search import whoosh_ext
from portal.search.whoosh_ext import PageCollector, RarestFirstAnd

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"


def _params(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_installed_whoosh_is_the_pinned_one():
    pin = whoosh_ext.WHOOSH_PIN
    assert pin == f"Whoosh-Reloaded=={version('Whoosh-Reloaded')}" == "Whoosh-Reloaded==2.7.5"
    assert pin in REQUIREMENTS.read_text().splitlines()


def test_the_collector_hooks_we_override_keep_their_signatures():
    assert _params(TopCollector._collect) == ["self", "global_docnum", "score"]
    assert _params(ScoredCollector.collect) == ["self", "sub_docnum"]
    assert "limit" in _params(TopCollector.__init__)
    assert _params(PageCollector._collect) == _params(TopCollector._collect)
    assert _params(PageCollector.collect) == _params(ScoredCollector.collect)
    # Ours override these, not something whoosh added between them and the base.
    assert PageCollector.__mro__[1] is TopCollector
    assert "_collect" in vars(TopCollector) and "collect" in vars(ScoredCollector)


def test_the_and_hook_we_override_keeps_its_signature():
    assert _params(CompoundQuery._matcher) == ["self", "subs", "searcher", "context"]
    assert _params(And._matcher) == _params(CompoundQuery._matcher)
    assert _params(RarestFirstAnd._matcher) == _params(And._matcher)
    assert RarestFirstAnd.__mro__[1] is And


def _index():
    ix = RamStorage().create_index(Schema(id=ID(stored=True), tag=KEYWORD))
    with ix.writer() as writer:
        for i in range(6):
            tags = ["common"] + (["rare"] if i in (2, 4) else [])
            writer.add_document(id=str(i), tag=" ".join(tags))
    return ix


def test_whoosh_calls_our_hooks_and_reads_our_bar():
    ix = _index()
    with ix.searcher() as searcher:
        collector = PageCollector(limit=2)
        searcher.search_with_collector(Term("tag", "common"), collector)
        # The page filled with equal scores: our _collect raised the bar above them.
        lowest = collector.items[0][0]
        assert collector.minscore == lowest + whoosh_ext.SCORE_EPSILON
        assert len(collector.results().top_n) == 2

        allowed = PageCollector(limit=10, allow={1, 3})
        searcher.search_with_collector(Term("tag", "common"), allowed)
        assert sorted(hit["id"] for hit in allowed.results()) == ["1", "3"]


def test_whoosh_builds_the_matcher_through_our_and(monkeypatch):
    ix = _index()
    calls = []
    real = RarestFirstAnd._matcher

    def spy(self, subs, searcher, context):
        calls.append([str(q) for q in subs])
        return real(self, subs, searcher, context)

    monkeypatch.setattr(RarestFirstAnd, "_matcher", spy)
    with ix.searcher() as searcher:
        query = RarestFirstAnd([Term("tag", "common"), Term("tag", "rare")])
        assert sorted(searcher.docs_for_query(query)) == [2, 4]
    assert calls == [["tag:common", "tag:rare"]]
