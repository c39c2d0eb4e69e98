"""`flask portal reindex`: rebuild the search index from the database."""

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from . import index


@click.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the full-text search index from the database (the source of truth)."""
    started = time.perf_counter()
    count = index.rebuild(db.session, current_app.config["SEARCH_INDEX_DIR"])
    click.echo(f"Indexed {count} outfalls in {time.perf_counter() - started:.1f} s.")
