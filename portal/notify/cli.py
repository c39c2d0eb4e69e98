"""`flask portal deliver`: send what the outbox holds; meant for cron, every minute."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..core.clock import utcnow
from ..extensions import db
from .senders import senders_from_config
from .services import DeliveryReport, deliver_due


@contextlib.contextmanager
def single_run_lock(path: Path) -> Iterator[bool]:
    """Hold an exclusive, non-blocking lock on `path`; yield False if another run holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: rely on the database's row locks alone
        yield True
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        # The kernel drops the lock when the file is closed, also if the process dies.
        yield True


@click.command("deliver")
@click.option(
    "--batch",
    default=100,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Messages claimed per round.",
)
@with_appcontext
def deliver_command(batch: int) -> None:
    """Send due emails and SMS from the outbox, committing after each message."""
    config = current_app.config
    # SQLite has no row locks, so overlapping cron runs on one machine are serialised here;
    # on PostgreSQL, FOR UPDATE SKIP LOCKED also keeps runs on several nodes apart.
    lock_path = Path(
        config.get("NOTIFY_LOCK_FILE") or Path(current_app.instance_path) / "notify-deliver.lock"
    )
    with single_run_lock(lock_path) as acquired:
        if not acquired:
            click.echo("Outbox: another delivery run is in progress; nothing to do.")
            return
        senders = senders_from_config(config)
        total = DeliveryReport()
        while True:
            report = deliver_due(
                db.session, utcnow(), senders, batch=batch, checkpoint=db.session.commit
            )
            db.session.commit()
            total += report
            # A short round means nothing else is due; retried messages are due only later.
            if report.attempted < batch:
                break
    click.echo(f"Outbox: {total.sent} sent, {total.retried} to retry, {total.failed} given up.")
