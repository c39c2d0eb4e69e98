"""Issue, revoke and check the integrators' API keys (callers commit)."""

import hashlib
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..core.errors import UserError
from ..extensions import db
from .models import ApiKey

# "o311_" and 43 URL-safe characters: 256 random bits.
PREFIX = "o311_"
KEY_BYTES = 32
SHOWN_PREFIX = 12
MAX_NAME = 120


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(name: str, now: datetime) -> tuple[ApiKey, str]:
    """A new key for the integrator `name`: its row (flushed) and the key, to show once.

    Raises:
        UserError: no name, or a name too long (field "name").
    """
    name = (name or "").strip()
    if not name:
        raise UserError(_("Name the integrator this key is for."), "name")
    if len(name) > MAX_NAME:
        raise UserError(_("At most %(n)s characters.", n=MAX_NAME), "name")
    key = PREFIX + secrets.token_urlsafe(KEY_BYTES)
    row = ApiKey(name=name, key_hash=key_hash(key), key_prefix=key[:SHOWN_PREFIX], created_at=now)
    db.session.add(row)
    db.session.flush()
    return row, key


def revoke(row: ApiKey, now: datetime) -> bool:
    """Revoke a key for good; False if it was revoked already."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


def authenticate(key: str | None, now: datetime) -> ApiKey | None:
    """The live key row for a presented key (its last use set to now), else None."""
    if not key or len(key) > 100 or not key.isascii():
        return None
    row = db.session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash(key))).first()
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = now
    return row


def all_keys() -> list[ApiKey]:
    """Every key, newest first (revoked ones too: the list is the record of who had one)."""
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))
