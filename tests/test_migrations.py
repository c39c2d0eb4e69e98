"""The Alembic migrations build exactly the schema the models describe, on both engines."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from portal import create_app
from portal.extensions import db
from tests.support import ON_POSTGRES, TEST_DATABASE_URL, make_config


@pytest.fixture
def migrated_url(tmp_path):
    """A brand-new empty database (a file on SQLite, a scratch database on PostgreSQL)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"portal_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_match_the_models(tmp_path, migrated_url):
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=migrated_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert diff == []
    assert {"outfalls", "approvals", "remediation_plans", "monitoring_records"} <= tables


def test_no_migration_imports_application_code():
    """A version file is frozen: editing the app must never change what it does."""
    import ast
    from pathlib import Path

    from portal.config import ROOT

    offenders = []
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [f"{Path(path).name}: {n}" for n in names if n.split(".")[0] == "portal"]
    assert offenders == []


def test_a_migrated_database_starts_with_the_default_categories(tmp_path, migrated_url):
    from sqlalchemy import select

    from portal.complaints.categories import category_rows
    from portal.complaints.models import ComplaintCategory

    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=migrated_url))
    with app.app_context():
        upgrade()
        columns = [c for c in ComplaintCategory.__table__.columns if c.name != "id"]
        rows = db.session.execute(select(*columns).order_by(ComplaintCategory.position)).all()
        db.session.remove()
        db.engine.dispose()
    # The frozen rows of migration 0002 are today's defaults; when the defaults change, a
    # new migration changes the rows and this test says so.
    assert [dict(r._mapping) for r in rows] == category_rows()


def test_every_enum_check_of_a_migrated_database_admits_every_model_value(tmp_path, migrated_url):
    """compare_metadata does not compare CHECK constraints: a new enum member (a role, a
    state) needs its migration to widen the constraint, or a migrated database refuses it."""
    from sqlalchemy import Enum

    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=migrated_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            checks = {
                table: " ".join(c["sqltext"] for c in inspect(conn).get_check_constraints(table))
                for table in inspect(conn).get_table_names()
            }
        db.engine.dispose()
    missing = [
        f"{table.name}.{column.name}: {value}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Enum) and column.type.create_constraint
        for value in column.type.enums
        if f"'{value}'" not in checks.get(table.name, "")
    ]
    assert missing == []
