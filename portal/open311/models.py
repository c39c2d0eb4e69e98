"""An integrator's API key for Open311 POST: only its SHA-256 is kept."""

from datetime import datetime
from typing import Optional

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..dbtypes import UTCDateTime
from ..extensions import db


class ApiKey(db.Model):
    """A key issued by an admin to one integrator (another system that files reports).

    The key itself is shown once, when it is made; the database holds its SHA-256 (a key
    is 256 random bits, so a plain hash is enough: there is nothing to guess) and its first
    characters, so an admin can tell keys apart without being able to use one.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None
