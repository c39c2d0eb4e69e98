"""Search: analysis, ranking, filters, highlighting, index upkeep and failures."""

import os

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.geo.models import WaterBodyKind
from portal.outfalls.models import CategoryL1, Outfall, WaterKind
from portal.search import documents, lifecycle, planner
from portal.search.analysis import chinese_analyzer, pinyin_keywords
from portal.search.cli import reindex_command
from portal.search.highlight import highlight
from tests import factories as f

NAME = "钦州市钦南区钦江1#排污口"


def test_tokenizer_finds_qinjiang():
    tokens = [t.text for t in chinese_analyzer()(NAME)]
    assert "钦江" in tokens
    assert "钦" in tokens and "江" in tokens  # unigrams for short queries
    assert "1" in tokens and "#" not in tokens


def test_pinyin_keys():
    keys = set(pinyin_keywords(NAME, "钦江", "钦南区 钦州市").split())
    assert {"qinjiang", "qinzhoushi", "qinnanqu", "paiwukou"} <= keys
    # No lone syllables and no pairs across words: they match half the index for nothing.
    assert not {"qin", "jiang", "shiqin"} & keys


def test_combined_field_weights_parts_and_keeps_offsets():
    from portal.search.analysis import weighted_parts
    from portal.search.schema import make_schema

    analyzer = make_schema()["all"].analyzer
    value = weighted_parts("钦江排污口", "钦江", "", "钦南区 钦州市", "沙埠镇")
    tokens = [(t.text, t.boost, t.startchar, t.endchar) for t in analyzer(value, chars=True)]
    assert ("钦江", 3.0, 0, 2) in tokens  # name
    assert ("钦江", 2.0, 6, 8) in tokens  # water body
    assert ("钦南区", 1.0, 10, 13) in tokens  # region: words only
    assert ("南", 1.0, 11, 12) not in tokens
    assert ("沙", 1.0, 18, 19) in tokens  # address, with its characters
    assert all(value[s:e].lower() == text for text, _b, s, e in tokens)
    # Indexing: each word once, with the weight of the best part it is in.
    indexed = {}
    for t in analyzer(value):
        assert t.text not in indexed
        indexed[t.text] = t.boost
    assert indexed["钦江"] == 3.0 and indexed["沙埠镇"] == 1.0 and "南" not in indexed


@pytest.fixture
def outfalls(seed):
    def make():
        qinjiang = f.water_body(name="钦江", name_en="Qin River")
        sea = f.water_body(name="钦州湾", name_en="Qinzhou Bay", kind=WaterBodyKind.sea)
        a = f.outfall(name=NAME, water_body=qinjiang, address="钦南区沙埠镇")
        b = f.outfall(
            name="钦州港化工园区入海排污口",
            water_body=sea,
            water_kind=WaterKind.sea,
            category_l1=CategoryL1.SH,
            responsible=f.entity(name="广西钦州港北港化工有限公司"),
        )
        c = f.outfall(name="灵山县城南污水处理厂排污口", local_code="LS-007")
        return {"a": a.code, "b": b.code, "c": c.code, "c_local": "LS-007"}

    codes = seed(make)
    return codes


def _rebuild(app):
    with app.app_context():
        return lifecycle.rebuild(db.session, app.config["SEARCH_INDEX_DIR"])


def _search(app, q, **kw):
    with app.app_context():
        return planner.query(q, **kw)


def _codes(app, page):
    with app.app_context():
        ids = [i for i, _h in page.items]
        by_id = dict(db.session.execute(select(Outfall.id, Outfall.code)).all())
        return [by_id[i] for i in ids]


def test_chinese_and_pinyin_queries(app, outfalls):
    _rebuild(app)
    assert _codes(app, _search(app, "钦江"))[0] == outfalls["a"]
    assert outfalls["a"] in _codes(app, _search(app, "qinjiang"))
    assert outfalls["a"] in _codes(app, _search(app, "qin jiang"))
    assert _codes(app, _search(app, "北港化工")) == [outfalls["b"]]


def test_exact_code_redirects(client, app, outfalls):
    response = client.get("/search", query_string={"q": outfalls["a"].lower()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/outfalls/{outfalls['a']}")


def test_local_code_ranks_first(app, outfalls):
    _rebuild(app)
    assert _codes(app, _search(app, "LS-007"))[0] == outfalls["c"]


def test_filter_combines_with_query(client, app, outfalls):
    _rebuild(app)
    page = _search(app, "排污口", filters=planner.SearchFilters(kind="sea"))
    assert _codes(app, page) == [outfalls["b"]]
    html = client.get("/search?q=排污口&type=GY").get_data(as_text=True)
    assert outfalls["a"] in html and outfalls["b"] not in html


def test_results_highlight_and_escape(client, app, seed):
    seed(lambda: f.outfall(name="<script>alert(1)</script>钦江排污口"))
    _rebuild(app)
    html = client.get("/search?q=钦江").get_data(as_text=True)
    assert "<mark>钦江</mark>" in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_highlight_pinyin(app, outfalls):
    _rebuild(app)
    page = _search(app, "qinjiang")
    marks = dict(page.items)
    assert any("<mark>钦江</mark>" in str(m.get("name")) for m in marks.values())


def test_index_follows_commits(app, outfalls):
    _rebuild(app)
    with app.app_context():
        o = db.session.scalar(select(Outfall).where(Outfall.code == outfalls["c"]))
        o.name = "灵山县旧州镇排污口"
        db.session.commit()
    assert _codes(app, _search(app, "旧州")) == [outfalls["c"]]
    assert _search(app, "城南").total == 0

    with app.app_context():
        new = f.outfall(name="浦北县龙门镇排污口")
        new_code = new.code
        db.session.commit()
    assert _codes(app, _search(app, "龙门")) == [new_code]

    with app.app_context():
        db.session.delete(db.session.scalar(select(Outfall).where(Outfall.code == new_code)))
        db.session.commit()
    assert _search(app, "龙门").total == 0


def test_entity_rename_reindexes_its_outfalls(app, outfalls):
    _rebuild(app)
    from portal.outfalls.models import Entity

    with app.app_context():
        e = db.session.scalar(select(Entity).where(Entity.name == "广西钦州港北港化工有限公司"))
        e.name = "广西蓝海环保有限公司"
        db.session.commit()
    assert _codes(app, _search(app, "蓝海")) == [outfalls["b"]]


def test_rollback_leaves_index_alone(app, outfalls):
    _rebuild(app)
    with app.app_context():
        f.outfall(name="浦北县龙门镇排污口")  # flushed, never committed
        db.session.rollback()
        db.session.commit()  # nothing pending may leak into a later commit
    assert _search(app, "龙门").total == 0


def test_reindex_command(app, outfalls):
    result = app.test_cli_runner().invoke(reindex_command)
    assert result.exit_code == 0, result.output
    assert "Indexed 3 outfalls" in result.output
    assert _search(app, "钦江").total >= 1


REBUILDING = "The search index is being rebuilt"


def test_reindex_in_several_processes(app, outfalls):
    result = app.test_cli_runner().invoke(reindex_command, ["--procs", "2"])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 outfalls" in result.output and "(2 processes)" in result.output
    lifecycle.reset()
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(app.config["SEARCH_INDEX_DIR"])
    with ix.reader() as reader:
        assert reader.doc_count() == 3
    assert _codes(app, _search(app, "钦江"))[0] == outfalls["a"]
    sea = _search(app, "排污口", filters=planner.SearchFilters(kind="sea"))
    assert _codes(app, sea) == [outfalls["b"]]


def test_missing_index_is_rebuilt(client, app, outfalls):
    import shutil

    _rebuild(app)
    assert _search(app, "钦江").total
    lifecycle.reset()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    en = {"Accept-Language": "en"}
    # The request does not wait minutes for a rebuild: the database answers meanwhile.
    response = client.get("/search?q=钦江", headers=en)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert outfalls["a"] in html and REBUILDING in html
    assert "<mark>钦江</mark>" in html
    assert response.cache_control.no_store and not response.cache_control.public
    lifecycle.wait_for_rebuilds(60)
    response = client.get("/search?q=qinjiang", headers=en)  # pinyin: only the index has it
    html = response.get_data(as_text=True)
    assert outfalls["a"] in html and REBUILDING not in html
    assert response.cache_control.public


def test_fallback_search_filters_and_finds_codes(client, app, outfalls):
    import shutil

    shutil.rmtree(app.config["SEARCH_INDEX_DIR"], ignore_errors=True)
    with app.test_request_context():
        page = planner.query("排污口", filters=planner.SearchFilters(kind="sea"))
        assert page.degraded and _codes(app, page) == [outfalls["b"]]
        page = planner.query("LS-007")
        assert _codes(app, page) == [outfalls["c"]]
        assert planner.query("排污口", per_page=2).has_next


def test_changes_during_a_rebuild_reach_the_new_index(client, app, outfalls, monkeypatch):
    import shutil
    import threading

    read_all, go_on = threading.Event(), threading.Event()
    real_docs = documents.outfall_docs

    def slow_docs(session, ids=None):
        yield from real_docs(session, ids)
        if ids is None:  # the rebuild: it has read every outfall; now something changes
            read_all.set()
            assert go_on.wait(30)

    monkeypatch.setattr(documents, "outfall_docs", slow_docs)
    lifecycle.reset()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    response = client.get("/search?q=钦江")  # no index: starts the rebuild
    assert response.status_code == 200
    assert read_all.wait(30)
    with app.app_context():
        o = db.session.scalar(select(Outfall).where(Outfall.code == outfalls["c"]))
        o.name = "灵山县旧州镇排污口"
        db.session.commit()  # the index is unavailable: the change is kept for later
    go_on.set()
    lifecycle.wait_for_rebuilds(60)
    with app.test_request_context():
        assert _codes(app, planner.query("旧州")) == [outfalls["c"]]
        assert not planner.query("旧州").degraded


def test_index_of_an_earlier_version_is_rebuilt(client, app, outfalls):
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, TEXT, Schema

    directory = app.config["SEARCH_INDEX_DIR"]
    lifecycle.reset()
    os.makedirs(directory, exist_ok=True)
    old = whoosh_index.create_in(directory, Schema(id=ID(stored=True), name=TEXT(stored=True)))
    with old.writer() as writer:
        writer.add_document(id="1", name="old")
    response = client.get("/search?q=钦江")
    assert response.status_code == 200
    assert outfalls["a"] in response.get_data(as_text=True)
    lifecycle.wait_for_rebuilds(60)
    assert "all" in whoosh_index.open_dir(directory).schema.names()


@pytest.mark.parametrize("victim", ["toc", "segment"])
def test_corrupt_index_is_rebuilt(client, app, outfalls, victim):
    _rebuild(app)
    lifecycle.reset()
    directory = app.config["SEARCH_INDEX_DIR"]
    for name in os.listdir(directory):
        if (victim == "toc") == name.endswith(".toc"):
            with open(os.path.join(directory, name), "wb") as fh:
                fh.write(b"garbage" * 10)
    response = client.get("/search?q=钦江")
    assert response.status_code == 200
    assert outfalls["a"] in response.get_data(as_text=True)
    lifecycle.wait_for_rebuilds(60)
    with app.test_request_context():
        page = planner.query("钦江")
        assert not page.degraded and outfalls["a"] in _codes(app, page)


def test_empty_and_no_result_messages(client, app, outfalls):
    _rebuild(app)
    response = client.get("/search?q=", headers={"Accept-Language": "zh"})
    assert response.status_code == 200
    response = client.get("/search?q=不存在的东西xyz")
    assert response.status_code == 200
    assert "Nothing matches" in response.get_data(as_text=True) or "没有" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "query",
    [
        {"q": "钦江", "page": "-1"},
        {"q": "钦" * 101},
        {"q": "x", "page": "abc"},
        {"q": "x", "type": "ZZ"},
    ],
)
def test_bad_parameters_are_400(client, app, query):
    response = client.get("/search", query_string=query)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_paging(client, app, seed):
    def many():
        water = f.water_body(name="大风江")
        for _ in range(25):
            f.outfall(name="大风江排污口", water_body=water)

    seed(many)
    _rebuild(app)
    p1, p2 = _search(app, "大风江", page=1), _search(app, "大风江", page=2)
    assert p1.total == 25 and len(p1.items) == 20 and len(p2.items) == 5
    assert not {i for i, _ in p1.items} & {i for i, _ in p2.items}
    html = client.get("/search?q=大风江&page=2").get_data(as_text=True)
    assert 'rel="prev"' in html
    assert client.get("/search?q=大风江&page=9").status_code == 404


def test_estimated_totals_page_forward_only():
    page = planner.SearchPage([], total=5000, page=3, per_page=20, exact=False)
    assert page.pages == 4 and page.has_next and page.has_prev
    assert planner.SearchPage([], total=45, page=3, per_page=20).has_next is False


def test_filter_matching_nothing_returns_nothing(app, outfalls):
    _rebuild(app)
    page = _search(app, "排污口", filters=planner.SearchFilters(type="JZ"))
    assert page.total == 0 and page.items == []


def test_highlight_marks_words_characters_and_pinyin():
    stored = {"name": "钦州市钦南区钦江1#排污口", "water": "钦江", "address": "沙埠镇"}
    marks = highlight(stored, ["排污口"])
    assert str(marks["name"]) == "钦州市钦南区钦江1#<mark>排污口</mark>"
    assert "water" not in marks  # nothing to mark there
    # A word matched character by character (jieba cut the documents otherwise).
    marks = highlight(stored, ["南江"], split={"南江"})
    assert str(marks["name"]) == "钦州市钦<mark>南</mark>区钦<mark>江</mark>1#排污口"
    # Spaced pinyin marks what the joined key spells, not every 钦.
    marks = highlight(stored, ["qin", "jiang"])
    assert str(marks["name"]) == "钦州市钦南区<mark>钦江</mark>1#排污口"
    assert str(marks["water"]) == "<mark>钦江</mark>"
    # Full-width and upper-case text still lines up with the lower-cased query.
    marks = highlight({"name": "ＬＳ-007 排污口"}, ["ls"])
    assert str(marks["name"]) == "<mark>ＬＳ</mark>-007 排污口"


def test_estimated_totals_read_as_about(client, app, monkeypatch):
    page = planner.SearchPage([], total=21293, page=1, per_page=20, words=["钦江"], exact=False)
    monkeypatch.setattr(planner, "query", lambda *a, **kw: page)
    html = client.get("/search?q=钦江", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "About 21,293 outfalls" in html and "Page 1 of" not in html
    html = client.get("/search?q=钦江", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "约 21,293 个排污口" in html


def test_form_errors_speak_the_page_language(client):
    zh = client.get("/search?q=钦&page=abc", headers={"Accept-Language": "zh"})
    assert zh.status_code == 400
    assert "不是有效的整数" in zh.get_data(as_text=True)
    en = client.get("/search?q=钦&page=abc", headers={"Accept-Language": "en"})
    assert "Not a valid integer value" in en.get_data(as_text=True)


def test_small_registries_count_exactly_large_ones_estimate(app, seed, monkeypatch):
    seed(lambda: [f.outfall(name=f"钦江{i}号排污口") for i in range(25)])
    _rebuild(app)
    page = _search(app, "钦江", per_page=10)
    assert page.exact and page.total == 25 and page.pages == 3
    monkeypatch.setattr(planner, "EXACT_COUNT_UP_TO", 10)
    page = _search(app, "钦江", per_page=10)
    assert not page.exact and page.total >= 11 and page.has_next
