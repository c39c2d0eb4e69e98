"""The outfall transparency portal (入河入海排污口信息公开平台)."""

import os
from pathlib import Path

from flask import Flask

from .config import DEV_SECRET_KEY, ROOT, DefaultConfig


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; test_config replaces the instance config when testing."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
        if os.environ.get("DATABASE_URL"):
            app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(os.environ["DATABASE_URL"])
    else:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config.setdefault("UPLOAD_DIR", None)
    if not app.config["UPLOAD_DIR"]:
        app.config["UPLOAD_DIR"] = str(Path(app.instance_path) / "uploads")
    if not app.config.get("EVIDENCE_DIR"):
        app.config["EVIDENCE_DIR"] = str(Path(app.instance_path) / "evidence")
    _refuse_insecure_defaults(app)

    from . import (
        catchup,
        cli,
        compression,
        errors,
        i18n,
        pagecache,
        security,
        staticfiles,
        timing,
        urls,
    )
    from .extensions import babel, csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.get_locale, timezone_selector=None)
    timing.init_app(app)  # first: its before_request hook runs before every other
    _configure_sqlite(app)

    urls.init_app(app)  # before any blueprint adds a rule
    from . import models  # noqa: F401  (registers every table)
    from .agencies import auth as agencies_auth
    from .agencies.views import bp as agencies_bp
    from .alerts.views import bp as alerts_bp
    from .api import bp as api_bp
    from .api import docs_bp as api_docs_bp
    from .complaints import labels as complaint_labels
    from .complaints import record as complaint_record
    from .complaints.record_views import bp as record_bp
    from .complaints.views import bp as complaints_bp
    from .imports.manage_views import bp as imports_manage_bp
    from .open311.admin_views import bp as open311_admin_bp
    from .open311.views import bp as open311_bp
    from .opendata.feed_views import bp as feeds_bp
    from .opendata.views import bp as opendata_bp
    from .outfalls import labels
    from .outfalls.manage_views import bp as outfalls_manage_bp
    from .outfalls.records_views import bp as records_manage_bp
    from .outfalls.views import bp as outfalls_bp
    from .queue import hooks as queue_hooks
    from .queue import labels as queue_labels
    from .queue.admin_views import bp as queue_admin_bp
    from .queue.intake_views import bp as queue_intake_bp
    from .queue.scorecard import bp as departments_bp
    from .queue.views import bp as queue_bp
    from .remediation.manage_views import bp as remediation_manage_bp
    from .remediation.views import bp as remediation_bp

    app.register_blueprint(i18n.bp)
    app.register_blueprint(outfalls_bp)
    app.register_blueprint(records_manage_bp)
    app.register_blueprint(outfalls_manage_bp)
    app.register_blueprint(record_bp)
    app.register_blueprint(complaints_bp)
    app.register_blueprint(agencies_bp)
    app.register_blueprint(queue_bp)
    app.register_blueprint(queue_admin_bp)
    app.register_blueprint(queue_intake_bp)
    app.register_blueprint(departments_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_docs_bp)
    app.register_blueprint(opendata_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(alerts_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(open311_admin_bp)
    app.register_blueprint(remediation_bp)
    app.register_blueprint(remediation_manage_bp)
    app.register_blueprint(imports_manage_bp)
    agencies_auth.init_app(app)
    queue_hooks.init_app(app)
    from .remediation import rollup as remediation_rollup

    remediation_rollup.init_app(app)
    from .remediation import views as remediation_views

    remediation_views.init_app(app)
    from . import search

    search.init_app(app)
    i18n.init_app(app)
    labels.register(app)
    complaint_labels.register(app)
    complaint_record.init_app(app)
    queue_labels.register(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    # Outermost last: the page cache sees the host and scheme the proxy fix restored.
    pagecache.init_app(app)
    catchup.init_app(app)  # outside the page cache: a stale page is never served
    compression.init_app(app)  # pages and JSON, cached or not, gzip'd for who asks
    # Static files are answered before the page cache and Flask (hashed names, brotli).
    if not app.debug:
        staticfiles.init_app(app)
    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _normalise_db_url(url: str) -> str:
    """Accept the common postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


MIN_SECRET_BYTES = 32


def _refuse_insecure_defaults(app: Flask) -> None:
    """Refuse to serve production traffic with settings that only a developer may use.

    Raises:
        RuntimeError: outside debug and testing, SECRET_KEY is the dev default, empty or
            shorter than 32 bytes, or PUBLIC_BASE_URL is unset or not an absolute URL.
    """
    if app.debug or app.testing:
        return
    key = app.config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(str(key).encode()) < MIN_SECRET_BYTES:
        raise RuntimeError(
            "SECRET_KEY is missing, the development default or shorter than "
            f"{MIN_SECRET_BYTES} bytes; set FLASK_SECRET_KEY or SECRET_KEY in "
            "instance/config.py (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    from .urls import check_base_url

    base = app.config.get("PUBLIC_BASE_URL")
    problem = "is not set" if not base else check_base_url(base)
    if problem:
        raise RuntimeError(
            f"PUBLIC_BASE_URL {problem}. QR codes, signboards and links in mail are built "
            "from it, never from a request's Host header: set it in instance/config.py or "
            "FLASK_PUBLIC_BASE_URL, e.g. https://pwk.example.gov.cn."
        )


def _configure_sqlite(app: Flask) -> None:
    """WAL mode, enforced foreign keys and memory-mapped reads for the embedded SQLite
    database."""
    from sqlalchemy import event

    from .extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial pragma setup
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if app.config["SQLALCHEMY_DATABASE_URI"] not in ("sqlite://", "sqlite:///:memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Read the file through a memory map: a page the OS holds costs no read call
            # and no copy (1,000 Open311 rows scattered over a 1.5 GB file: 8.6 → 4.5 ms).
            cur.execute(f"PRAGMA mmap_size={int(app.config['SQLITE_MMAP_BYTES'])}")
        cur.close()
