"""Fixtures for the whole suite, in one place: apps on SQLite (default) or PostgreSQL
(TEST_DATABASE_URL), clients, seeding, staff accounts.

SQLite: each app gets its own in-memory database (the schema takes ~15 ms to build).
PostgreSQL: the schema is built once per run; each app's tables are emptied afterwards.
Helpers that are not fixtures live in tests/factories.py and tests/staff.py.
"""

import os

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from portal import create_app
from portal.agencies import models as agency_models
from portal.extensions import db
from tests.smtp_server import smtp_server  # noqa: F401  (a real SMTP server fixture)
from tests.support import (
    ON_POSTGRES,
    TEST_DATABASE_URL,
    make_config,
    prepare_database,
    release_database,
)

# The test database need not outlive a crash of its server, so a commit does not wait for
# the WAL to reach the disk (about a third off the PostgreSQL run). What the tests see is
# unchanged: an asynchronous commit is visible to every other connection at once. libpq
# reads PGOPTIONS for every connection, the live servers' included.
os.environ.setdefault("PGOPTIONS", "-c synchronous_commit=off")


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


@pytest.fixture
def make_app(tmp_path, _postgres_schema):
    """Build an app with config overrides, its database ready; cleaned up after the test."""
    from portal.outfalls.clustering import clear_grid_cache
    from portal.search import lifecycle

    made = []

    def _make(**overrides):
        app = create_app(make_config(tmp_path, **overrides))
        prepare_database(app)
        made.append(app)
        return app

    clear_grid_cache()  # the map's grid cache is per process: no test sees another's
    yield _make
    lifecycle.wait_for_rebuilds(120)  # a search may have started one in the background
    lifecycle.reset()
    for app in made:
        release_database(app)


@pytest.fixture
def app(make_app):
    return make_app()


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


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    """Argon2id with tiny parameters: the same code path, a fraction of the time."""
    monkeypatch.setattr(
        agency_models,
        "password_hasher",
        PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
    )


@pytest.fixture
def make_staff(seed):
    """Create an account; returns its username (ids via `seed` if needed)."""
    from tests.staff import staff_member

    def _make(role=None, **kw) -> str:
        from portal.agencies.models import Role

        return seed(lambda: staff_member(role or Role.staff, **kw).username)

    return _make
