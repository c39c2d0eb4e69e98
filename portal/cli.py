"""`flask portal …` commands: demo data, synthetic data."""

import click
from flask import Flask, current_app

from .core.clock import local_today
from .core.storage import FileStore
from .extensions import db


@click.group("portal")
def portal_group():
    """Outfall portal administration."""


@portal_group.command("demo")
def demo_command():
    """Load the Qinzhou demo data once (does nothing if it is already there)."""
    from .demo import load_demo

    store = FileStore(current_app.config["UPLOAD_DIR"])
    loaded = load_demo(db.session, store, local_today())
    db.session.commit()
    click.echo("Demo data loaded." if loaded else "Demo data already present; nothing to do.")


@portal_group.command("synth")
@click.argument("count", type=click.IntRange(1, 5_000_000))
@click.option("--seed", default=42, show_default=True, help="Random seed.")
def synth_command(count: int, seed: int):
    """Generate COUNT synthetic outfalls (with plans and monitoring) for benchmarks."""
    from .demo import generate_synthetic

    made = generate_synthetic(db.session, count, seed=seed)
    db.session.commit()
    click.echo(f"Generated {made} synthetic outfalls.")


def init_app(app: Flask) -> None:
    app.cli.add_command(portal_group)
