"""The outbox: messages written in the same transaction as the change they announce."""

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..dbtypes import UTCDateTime, str_enum
from ..extensions import db


class Channel(enum.StrEnum):
    email = "email"
    sms = "sms"


class OutboxMessage(db.Model):
    """One email or SMS waiting to be delivered, retried with backoff until it is."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 8))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    # Extra mail headers, e.g. List-Unsubscribe on alert digests (RFC 8058).
    headers: Mapped[Optional[dict]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Failed attempts so far; drives the backoff (see services.backoff).
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Given up after MAX_ATTEMPTS; kept for the record and for a manual retry.
    failed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
