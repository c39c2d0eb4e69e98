"""`flask portal reindex`: rebuild the search index from the database."""

import os
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..extensions import db
from ..outfalls.models import Outfall
from . import lifecycle

# Below this many outfalls starting worker processes costs more than it saves.
PARALLEL_FROM = 20_000


@click.command("reindex")
@click.option(
    "--procs",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Processes analysing documents; 0 = one per CPU for large registries, else 1.",
)
@click.option(
    "--catch-up",
    "catch_up",
    is_flag=True,
    help="Only write the outfalls changed since the index's change mark (cron on a node).",
)
@with_appcontext
def reindex_command(procs: int, catch_up: bool):
    """Rebuild the full-text search index from the database (the source of truth)."""
    if catch_up:
        from . import catchup

        done = catchup.catch_up(db.session, current_app.config["SEARCH_INDEX_DIR"])
        click.echo(
            "Index is being rebuilt or caught up elsewhere."
            if done is None
            else f"Caught up: {done} outfalls rewritten."
        )
        return
    if procs == 0:
        total = db.session.scalar(select(func.count(Outfall.id))) or 0
        procs = (os.cpu_count() or 1) if total >= PARALLEL_FROM else 1
    started = time.perf_counter()
    count = lifecycle.rebuild(db.session, current_app.config["SEARCH_INDEX_DIR"], procs=procs)
    click.echo(
        f"Indexed {count} outfalls in {time.perf_counter() - started:.1f} s"
        + (f" ({procs} processes)." if procs > 1 else ".")
    )
