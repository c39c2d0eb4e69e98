"""Chinese full-text search over the outfall registry (whoosh-reloaded + jieba + pypinyin).

The database is the source of truth; the index under SEARCH_INDEX_DIR is a cache that
`flask portal reindex` rebuilds and that hooks.py keeps current after each commit.

Modules in import order (each imports only modules before it): analysis (jieba, pinyin) → schema →
documents (rows to whoosh documents) → whoosh_ext (our whoosh subclasses) → lifecycle
(open, rebuild, lock, repair, upsert/delete) → highlight → planner (query(), the
database fallback) → forms → views; hooks and cli use lifecycle.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint and the session hooks once (safe to call twice)."""
    from . import hooks, lifecycle
    from .views import bp

    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = lifecycle.default_dir(app.instance_path)
    if "search" not in app.blueprints:
        app.register_blueprint(bp)
    hooks.init_app(app)
    app.extensions[hooks.EXTENSION_KEY] = True
