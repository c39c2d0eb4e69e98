"""What tests share that is not a fixture: the test configuration and database handling."""

import os

from sqlalchemy import text

from portal import _normalise_db_url
from portal.extensions import db

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
        "IMPORT_DIR": str(tmp_path / "imports"),
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


def truncate_all() -> None:
    """Empty every table and restart every id sequence (PostgreSQL).

    DELETE of the few rows a test wrote, child tables first, is about 4 ms; TRUNCATE of
    thirty tables takes some 60 ms, which on eight hundred tests is most of a minute.
    """
    with db.engine.begin() as conn:
        sequences = conn.scalars(
            text("SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'")
        ).all()
        statements = [f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables)]
        statements += [f"ALTER SEQUENCE {name} RESTART" for name in sequences]
        conn.exec_driver_sql("; ".join(statements))


def seed_reference_data() -> None:
    """What migrations insert on a real install: the default complaint categories."""
    from portal.complaints.categories import category_rows
    from portal.complaints.models import ComplaintCategory

    db.session.execute(ComplaintCategory.__table__.insert(), category_rows())
    db.session.commit()


def prepare_database(app) -> None:
    """An empty schema with the reference rows, for `app`'s database."""
    with app.app_context():
        if not ON_POSTGRES or not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres"):
            db.create_all()
        seed_reference_data()


def release_database(app) -> None:
    """Empty the shared PostgreSQL tables again and close the app's connections."""
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres"):
            db.session.remove()
            truncate_all()
        db.engine.dispose()
