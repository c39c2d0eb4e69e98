"""Chinese full-text search over the outfall registry (whoosh-reloaded + jieba + pypinyin).

The database is the source of truth; the index under SEARCH_INDEX_DIR is a cache that
`flask portal reindex` rebuilds and that hooks.py keeps current after each commit.
"""

from flask import Flask

EXTENSION_KEY = "portal_search"


def init_app(app: Flask) -> None:
    """Register the blueprint and the session hooks once (safe to call twice)."""
    from pathlib import Path

    from . import hooks
    from .views import bp

    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = str(Path(app.instance_path) / "search_index")
    if "search" not in app.blueprints:
        app.register_blueprint(bp)
    hooks.init_app(app)
    app.extensions[EXTENSION_KEY] = True
