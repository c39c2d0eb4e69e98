"""Fixtures: a fresh app per test on SQLite (default) or PostgreSQL (TEST_DATABASE_URL)."""

import os

import pytest
from sqlalchemy import create_engine, text

from portal import _normalise_db_url, create_app
from portal.extensions import db
from tests.smtp_server import smtp_server  # noqa: F401  (a real SMTP server fixture)

TEST_DATABASE_URL = _normalise_db_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def make_config(tmp_path, **overrides) -> dict:
    """The test configuration; tests may override any key."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "SEARCH_INDEX_DIR": str(tmp_path / "search_index"),
        # Indexing after each commit is tested in tests/search, which turns it back on;
        # elsewhere it would only repeat jieba's work on every fixture.
        "SEARCH_AUTO_INDEX": False,
        "RATELIMIT_ENABLED": False,
        # Tested in tests/test_pagecache.py; elsewhere a test reads what it just wrote.
        "PAGE_CACHE_SECONDS": 0,
        "PUBLIC_BASE_URL": "https://pwk.example.test",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def _postgres_schema():
    """On PostgreSQL, build the schema once per run; each test then truncates."""
    if not ON_POSTGRES:
        yield
        return
    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    import portal.models  # noqa: F401  (registers every table)

    db.metadata.create_all(engine)
    engine.dispose()
    yield


def _truncate_all() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def seed_reference_data() -> None:
    """What migrations insert on a real install: the default complaint categories."""
    from portal.complaints.categories import category_rows
    from portal.complaints.models import ComplaintCategory

    db.session.execute(ComplaintCategory.__table__.insert(), category_rows())
    db.session.commit()


@pytest.fixture
def app(tmp_path, _postgres_schema):
    app = create_app(make_config(tmp_path))
    with app.app_context():
        if not ON_POSTGRES:
            db.create_all()
        seed_reference_data()
    yield app
    from portal.search import lifecycle

    lifecycle.wait_for_rebuilds(120)  # a search may have started one in the background
    with app.app_context():
        if ON_POSTGRES:
            db.session.remove()
            _truncate_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    """An app context for service and model tests (never together with `client`)."""
    with app.app_context():
        yield


@pytest.fixture
def seed(app):
    """Run a factory inside an app context and return what it returns (ids, codes)."""

    def _seed(factory, **kw):
        with app.app_context():
            result = factory(**kw)
            db.session.commit()
            return result

    return _seed
