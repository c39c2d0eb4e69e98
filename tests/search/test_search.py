"""Search: analysis, ranking, filters, highlighting, index upkeep and failures."""

import os

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.geo.models import WaterBodyKind
from portal.outfalls.models import CategoryL1, Outfall, WaterKind
from portal.search import index
from portal.search.analysis import chinese_analyzer, pinyin_keywords
from portal.search.cli import reindex_command
from tests import factories as f

NAME = "钦州市钦南区钦江1#排污口"


def test_tokenizer_finds_qinjiang():
    tokens = [t.text for t in chinese_analyzer()(NAME)]
    assert "钦江" in tokens
    assert "钦" in tokens and "江" in tokens  # unigrams for short queries
    assert "1" in tokens and "#" not in tokens


def test_pinyin_keys():
    keys = pinyin_keywords(NAME).split()
    assert "qinjiang" in keys
    assert {"qin", "jiang"} <= set(keys)


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
        return index.rebuild(db.session, app.config["SEARCH_INDEX_DIR"])


def _search(app, q, **kw):
    with app.app_context():
        return index.query(q, **kw)


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
    page = _search(app, "排污口", filters=index.SearchFilters(kind="sea"))
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


def test_missing_index_is_rebuilt(client, app, outfalls, caplog):
    import shutil

    _rebuild(app)
    assert _search(app, "钦江").total
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    response = client.get("/search?q=钦江")
    assert response.status_code == 200
    assert outfalls["a"] in response.get_data(as_text=True)


@pytest.mark.parametrize("victim", ["toc", "segment"])
def test_corrupt_index_is_rebuilt(client, app, outfalls, victim):
    _rebuild(app)
    index.reset()
    directory = app.config["SEARCH_INDEX_DIR"]
    for name in os.listdir(directory):
        if (victim == "toc") == name.endswith(".toc"):
            with open(os.path.join(directory, name), "wb") as fh:
                fh.write(b"garbage" * 10)
    response = client.get("/search?q=钦江")
    assert response.status_code == 200
    assert outfalls["a"] in response.get_data(as_text=True)


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
