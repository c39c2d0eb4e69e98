"""Everything downstream follows a registry change: on another node, in every cache.

Two apps on one database with separate index directories stand for two nodes. The change
is written as every writer writes it (a model change and `history.record` in one
transaction); the other node learns of it only from `ledger_entries`.
"""

import pytest
from sqlalchemy import select, text

from portal import create_app
from portal.catchup import EXTENSION_KEY
from portal.extensions import db
from portal.outfalls import changes, clustering, grid, history
from portal.outfalls.models import LedgerEntry, Outfall
from portal.outfalls.services import OutfallFilters
from portal.search import catchup, lifecycle, planner
from tests import factories as f
from tests.support import ON_POSTGRES, TEST_DATABASE_URL, make_config

NEW_NAME = "钦州市钦南区鹿耳环江3#城镇雨洪排口"


@pytest.fixture
def nodes(make_app, tmp_path):
    """(node A, node B): one database, an index directory each, page caches on."""
    url = TEST_DATABASE_URL if ON_POSTGRES else f"sqlite:///{tmp_path / 'nodes.sqlite'}"
    common = dict(SQLALCHEMY_DATABASE_URI=url, SEARCH_AUTO_INDEX=True, PAGE_CACHE_SECONDS=30)
    a = make_app(SEARCH_INDEX_DIR=str(tmp_path / "index-a"), **common)
    b = create_app(make_config(tmp_path, SEARCH_INDEX_DIR=str(tmp_path / "index-b"), **common))
    yield a, b
    with b.app_context():
        db.session.remove()
        db.engine.dispose()


def _rename(app, outfall_id: int, name: str) -> None:
    """An edit as every writer makes it: the change and its ledger entry, one commit."""
    with app.app_context():
        outfall = db.session.get(Outfall, outfall_id)
        before = history.snapshot(outfall, ["name"])
        outfall.name = name
        history.record(
            chain=history.outfall_chain(outfall.id),
            subject_kind="outfall",
            subject_id=outfall.id,
            outfall_id=outfall.id,
            action="update",
            changes=history.diff(before, history.snapshot(outfall, ["name"]), public={"name"}),
            reason="更正名称",
        )
        db.session.commit()


def _found(app, words: str) -> set[int]:
    with app.app_context():
        page = planner.query(words)
        assert not page.degraded
        return {outfall_id for outfall_id, _ in page.items}


def _build(app) -> None:
    with app.app_context():
        lifecycle.rebuild(db.session, app.config["SEARCH_INDEX_DIR"])


def test_an_edit_on_one_node_reaches_search_and_pages_on_another(nodes):
    a, b = nodes
    with a.app_context():
        outfall = f.outfall()
        db.session.commit()
        outfall_id, code = outfall.id, outfall.code
    _build(a)
    _build(b)
    client_b = b.test_client()
    page = client_b.get(f"/outfalls/{code}")
    assert page.status_code == 200 and NEW_NAME not in page.text

    _rename(a, outfall_id, NEW_NAME)
    # Node A indexed its own commit; node B has not heard of it yet.
    assert outfall_id in _found(a, "鹿耳环江")
    assert outfall_id not in _found(b, "鹿耳环江")
    assert NEW_NAME not in client_b.get(f"/outfalls/{code}").text  # its page cache

    follower = b.extensions[EXTENSION_KEY]
    follower.next_at = follower.clock() + 3600  # not due: the cached page stays
    assert NEW_NAME not in client_b.get(f"/outfalls/{code}").text
    follower.next_at = 0  # the interval has passed
    assert NEW_NAME in client_b.get(f"/outfalls/{code}").text
    assert outfall_id in _found(b, "鹿耳环江")
    with b.app_context():
        mark = catchup.read_mark(b.config["SEARCH_INDEX_DIR"])
        assert mark.top == db.session.scalar(select(LedgerEntry.id))


def test_a_check_with_nothing_new_changes_nothing(nodes):
    a, b = nodes
    _build(b)
    follower = b.extensions[EXTENSION_KEY]
    assert follower.check() == 0
    assert follower.check() == 0
    with b.app_context():
        assert catchup.catch_up(db.session, b.config["SEARCH_INDEX_DIR"]) == 0


def test_the_map_grid_follows(nodes):
    a, b = nodes
    with a.app_context():
        outfall = f.outfall(lat=21.95, lon=108.62)
        db.session.commit()
        outfall_id = outfall.id
    follower = b.extensions[EXTENSION_KEY]
    follower.check()
    bbox = grid.BBox(south=21.5, west=108.0, north=22.5, east=109.5)

    def total():
        with b.app_context():
            return sum(n for n, _lat, _lon in clustering.clusters(bbox, 8, OutfallFilters()))

    assert total() == 1
    with a.app_context():
        moved = db.session.get(Outfall, outfall_id)
        moved.lat, moved.lon = 30.0, 120.0  # out of the viewport
        history.record(
            chain=history.outfall_chain(outfall_id),
            subject_kind="outfall",
            subject_id=outfall_id,
            outfall_id=outfall_id,
            action="update",
            changes=[{"field": "lat", "old": 21.95, "new": 30.0, "public": True}],
        )
        db.session.commit()
    assert total() == 1  # the worker's grid, computed before the move
    follower.next_at = 0
    b.test_client().get("/")
    assert total() == 0


def _entry(outfall_id: int, entry_id: int, seq: int) -> None:
    db.session.add(
        LedgerEntry(
            id=entry_id,
            chain=f"test:{entry_id}",
            seq=seq,
            subject_kind="outfall",
            subject_id=outfall_id,
            outfall_id=outfall_id,
            action="update",
            changes=[],
            hash="0" * 64,
        )
    )
    db.session.commit()


def test_an_entry_committed_after_a_larger_one_is_not_missed(nodes):
    """Id 11 became visible before id 10 (its transaction committed later)."""
    a, b = nodes
    with a.app_context():
        first, second = f.outfall(), f.outfall()
        db.session.commit()
        first_id, second_id = first.id, second.id
    _build(b)
    follower = b.extensions[EXTENSION_KEY]
    follower.check()
    with a.app_context():
        db.session.get(Outfall, second_id).name = "钦州市后提交11号排污口"
        _entry(second_id, 11, 1)
    assert follower.check() == 1
    assert second_id in _found(b, "后提交")
    with b.app_context():
        mark = catchup.read_mark(b.config["SEARCH_INDEX_DIR"])
    assert mark.top == 11 and any(g.lo <= 10 <= g.hi for g in mark.gaps)
    with a.app_context():
        db.session.get(Outfall, first_id).name = "钦州市迟到10号排污口"
        _entry(first_id, 10, 1)
    assert follower.check() == 1
    assert first_id in _found(b, "迟到")
    with b.app_context():
        mark = catchup.read_mark(b.config["SEARCH_INDEX_DIR"])
    assert mark.top == 11 and not any(g.lo <= 10 <= g.hi for g in mark.gaps)


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL")
def test_concurrent_transactions_committing_out_of_order(nodes):
    """The real thing: two open transactions, the one with the smaller id commits last."""
    a, b = nodes
    with a.app_context():
        first, second = f.outfall(), f.outfall()
        db.session.commit()
        ids = first.id, second.id
    _build(b)
    follower = b.extensions[EXTENSION_KEY]
    follower.check()
    with a.app_context():
        engine = db.engine
    insert = text(
        "INSERT INTO ledger_entries (chain, seq, subject_kind, subject_id, outfall_id, action,"
        " changes, reason, source, created_at, prev_hash, hash) VALUES (:chain, 1, 'outfall',"
        " :o, :o, 'update', '[]', '', 'form', now(), '', :h) RETURNING id"
    )
    rename = text("UPDATE outfalls SET name = :name WHERE id = :o")
    with engine.connect() as slow, engine.connect() as fast:
        slow_id = slow.execute(insert, {"chain": "t:slow", "o": ids[0], "h": "0" * 64}).scalar()
        slow.execute(rename, {"name": "钦州市慢事务排污口", "o": ids[0]})
        fast_id = fast.execute(insert, {"chain": "t:fast", "o": ids[1], "h": "1" * 64}).scalar()
        fast.execute(rename, {"name": "钦州市快事务排污口", "o": ids[1]})
        assert slow_id < fast_id
        fast.commit()
        assert follower.check() == 1
        slow.commit()
    assert follower.check() == 1
    assert ids[0] in _found(b, "慢事务") and ids[1] in _found(b, "快事务")


def test_an_index_without_a_mark_is_rebuilt(nodes, tmp_path):
    a, b = nodes
    with a.app_context():
        outfall = f.outfall(name="钦州市无标记排污口")
        db.session.commit()
        outfall_id = outfall.id
        _rename(a, outfall_id, "钦州市无标记排污口")
    directory = b.config["SEARCH_INDEX_DIR"]
    with b.app_context():
        lifecycle.open_or_create(directory)  # an index an older version left, no mark
        assert catchup.read_mark(directory) is None
        assert catchup.catch_up(db.session, directory) is None
        assert catchup.read_mark(directory) is not None
    assert outfall_id in _found(b, "无标记")


def test_reindex_catch_up_command(nodes):
    a, b = nodes
    _build(b)
    with a.app_context():
        outfall = f.outfall()
        db.session.commit()
        outfall_id = outfall.id
    _rename(a, outfall_id, "钦州市命令追赶排污口")
    result = b.test_cli_runner().invoke(args=["portal", "reindex", "--catch-up"])
    assert result.exit_code == 0, result.output
    assert "1 outfalls" in result.output
    assert outfall_id in _found(b, "命令追赶")


def test_grid_computed_before_a_change_is_not_kept(app_ctx):
    generation = clustering._generation
    clustering.clear_grid_cache()
    clustering._remember(("k",), (0.0, {}), generation)
    assert ("k",) not in clustering._grids


def test_marks_follow_gaps_and_give_them_up():
    c = [changes.Change(i, 1, "outfall", 1, "outfall:1") for i in (3, 5, 6, 9)]
    mark = changes.advance(changes.Mark(2), c, now=100.0)
    assert mark.top == 9
    assert [(g.lo, g.hi) for g in mark.gaps] == [(4, 4), (7, 8)]
    mark = changes.advance(mark, [changes.Change(7, 1, "outfall", 1, "outfall:1")], now=200.0)
    assert [(g.lo, g.hi, g.since) for g in mark.gaps] == [(4, 4, 100.0), (8, 8, 100.0)]
    assert changes.Mark.from_json(mark.as_json()) == mark
    later = changes.advance(mark, [], now=100.0 + changes.GAP_GRACE_SECONDS)
    assert later.gaps == () and later.top == 9


def test_touched_reads_kinds_and_chains():
    found = changes.touched(
        [
            changes.Change(1, 7, "approval", 3, "outfall:7"),
            changes.Change(2, None, "entity", 4, "entity:4"),
            changes.Change(3, None, "water", 5, "water:5"),
        ]
    )
    assert found.outfalls == {7} and found.entities == {4} and found.waters == {5}
