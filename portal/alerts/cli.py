"""`flask portal alerts send`: the day's digests into the outbox (cron, e.g. hourly)."""

import click
from flask.cli import with_appcontext

from ..core.clock import utcnow
from ..extensions import db
from .services import purge_unconfirmed, send_digests


@click.group("alerts")
def alerts_group() -> None:
    """Email alerts."""


@alerts_group.command("send")
@with_appcontext
def send_command() -> None:
    """Queue one digest per subscriber with news (at most one per ALERTS_DIGEST_HOURS)."""
    now = utcnow()
    queued = send_digests(now)
    purged = purge_unconfirmed(now)
    db.session.commit()
    click.echo(f"Alerts: {queued} digests queued, {purged} unconfirmed subscriptions forgotten.")
