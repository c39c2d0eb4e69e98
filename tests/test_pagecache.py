"""The per-worker micro-cache of public pages (portal/pagecache.py)."""

import pytest
from sqlalchemy import event, select, update

from portal import pagecache
from portal.extensions import db
from portal.outfalls.models import Outfall
from tests import factories as f


@pytest.fixture
def cached_app(app):
    """The test app served through a page cache (as configured outside tests), with a
    hand-driven clock."""
    app.config["PAGE_CACHE_SECONDS"] = 30
    pagecache.init_app(app)
    cache = app.extensions["page_cache"]
    now = [1000.0]
    cache.clock = lambda: now[0]
    app.config["test_now"] = now
    return app


@pytest.fixture
def code(seed):
    return seed(lambda: f.outfall(name="钦江缓存测试排污口").code)


@pytest.fixture
def statements(cached_app):
    seen = []
    with cached_app.app_context():
        engine = db.engine

    def count(*args):
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_repeat_visit_is_served_from_memory(cached_app, code, statements):
    client = cached_app.test_client()
    first = client.get(f"/o/{code}")
    assert first.status_code == 200 and "Age" not in first.headers
    queries = len(statements)
    assert queries > 0
    second = client.get(f"/o/{code}")
    assert len(statements) == queries  # no SQL: nothing reached Flask
    assert second.get_data() == first.get_data()
    assert second.headers["Age"] == "0"
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert second.headers["ETag"] == first.headers["ETag"]
    head = client.head(f"/o/{code}")
    assert head.status_code == 200 and head.get_data() == b""


def test_conditional_repeat_answers_304(cached_app, code):
    client = cached_app.test_client()
    etag = client.get(f"/o/{code}").headers["ETag"]
    again = client.get(f"/o/{code}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert "Age" in again.headers


def test_languages_are_kept_apart(cached_app, code):
    client = cached_app.test_client()
    zh = client.get(f"/o/{code}").get_data(as_text=True)
    en = client.get(f"/o/{code}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert en.get_data(as_text=True) != zh
    assert "Responsible entity" in en.get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert "Responsible entity" in client.get(f"/o/{code}").get_data(as_text=True)
    client.set_cookie("lang", "zh")
    chosen = client.get(f"/o/{code}", headers={"Accept-Language": "en"})
    assert chosen.get_data(as_text=True) == zh


def test_requests_with_a_session_always_reach_the_app(cached_app, code, statements):
    client = cached_app.test_client()
    client.get(f"/o/{code}")
    client.set_cookie("session", "anything")
    before = len(statements)
    response = client.get(f"/o/{code}")
    assert response.status_code == 200 and "Age" not in response.headers
    assert len(statements) > before


def test_only_public_successes_are_kept(cached_app, code, statements):
    client = cached_app.test_client()
    for _ in range(2):
        assert client.get("/o/HP0000000000000000000000").status_code == 404
        tracking = client.get("/complaints/lookup")
        assert "Age" not in tracking.headers
    before = len(statements)
    client.get("/o/HP0000000000000000000000")
    assert len(statements) > before  # 404s are not kept


def test_expires_after_its_time(cached_app, code, statements):
    client = cached_app.test_client()
    client.get(f"/o/{code}")
    cached_app.config["test_now"][0] += 29
    assert client.get(f"/o/{code}").headers["Age"] == "29"
    cached_app.config["test_now"][0] += 2
    before = len(statements)
    assert "Age" not in client.get(f"/o/{code}").headers
    assert len(statements) > before


def test_a_commit_in_this_process_empties_it(cached_app, code):
    client = cached_app.test_client()
    assert "钦江缓存测试排污口" in client.get(f"/o/{code}").get_data(as_text=True)
    with cached_app.app_context():
        outfall = db.session.scalar(select(Outfall).where(Outfall.code == code))
        outfall.name = "钦江改名以后排污口"
        db.session.commit()
    page = client.get(f"/o/{code}")
    assert "Age" not in page.headers
    assert "钦江改名以后排污口" in page.get_data(as_text=True)


def test_a_bulk_statement_empties_it_too(cached_app, code):
    client = cached_app.test_client()
    client.get(f"/o/{code}")
    with cached_app.app_context():
        db.session.execute(update(Outfall).values(name="钦江批量改名排污口"))
        db.session.commit()
    page = client.get(f"/o/{code}")
    assert "Age" not in page.headers
    assert "钦江批量改名排污口" in page.get_data(as_text=True)


def test_memory_is_bounded(cached_app, code):
    cache = cached_app.extensions["page_cache"]
    cache.max_bytes = 1
    client = cached_app.test_client()
    client.get(f"/o/{code}")
    assert cache.size <= 1 and not cache.entries
    assert "Age" not in client.get(f"/o/{code}").headers


def test_off_when_configured_off_or_debugging(app, tmp_path):
    from portal import create_app
    from tests.support import make_config

    assert "page_cache" not in app.extensions  # PAGE_CACHE_SECONDS = 0
    debugging = create_app(make_config(tmp_path, PAGE_CACHE_SECONDS=30, DEBUG=True))
    assert "page_cache" not in debugging.extensions
    serving = create_app(make_config(tmp_path, PAGE_CACHE_SECONDS=30))
    assert "page_cache" in serving.extensions
