"""`flask portal api-key create NAME | revoke ID | list`: Open311 keys from the shell."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.clock import utcnow
from ..core.errors import UserError
from ..extensions import db
from . import keys
from .models import ApiKey


@click.group("api-key", cls=AppGroup)
def api_key_group():
    """Open311 API keys of integrators."""


@api_key_group.command("create")
@click.argument("name")
def create_command(name: str):
    """Issue a key for the integrator NAME; the key is printed this once."""
    try:
        row, key = keys.create_key(name, utcnow())
    except UserError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Key {row.id} for {row.name} (shown once, keep it safe):")
    click.echo(key)


@api_key_group.command("revoke")
@click.argument("key_id", type=int)
def revoke_command(key_id: int):
    """Revoke the key with id KEY_ID (see `list`)."""
    row = db.session.get(ApiKey, key_id)
    if row is None:
        raise click.ClickException(f"No key has the id {key_id}.")
    if not keys.revoke(row, utcnow()):
        raise click.ClickException(f"Key {key_id} was revoked already.")
    db.session.commit()
    click.echo(f"Key {key_id} for {row.name} revoked.")


@api_key_group.command("list")
def list_command():
    """Every key: id, the first characters, the integrator, whether it is live."""
    for row in db.session.scalars(select(ApiKey).order_by(ApiKey.id)):
        state = "revoked" if row.revoked_at else "active"
        used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
        click.echo(f"{row.id}\t{row.key_prefix}…\t{state}\tlast used {used}\t{row.name}")
