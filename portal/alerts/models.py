"""Alert subscribers and what they follow. The address is personal data: kept only while a
subscription needs it, never shown, exported or put in a feed."""

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..dbtypes import UTCDateTime, str_enum
from ..extensions import db


class TargetKind(enum.StrEnum):
    outfall = "outfall"
    water = "water"
    region = "region"
    complaint = "complaint"


class AlertSubscriber(db.Model):
    """One email address that follows something."""

    __tablename__ = "alert_subscribers"
    __table_args__ = (Index("ix_alert_subscribers_digest", "last_digest_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    # Rotated never; signs this subscriber's links together with SECRET_KEY.
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_digest_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Confirmation mails sent in the current window (rate limit per address).
    confirmations_sent: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    subscriptions: Mapped[list["AlertSubscription"]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan"
    )


class AlertSubscription(db.Model):
    """One thing a subscriber follows; nothing is sent before it is confirmed."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "target_kind", "target_id"),
        Index("ix_alert_subscriptions_target", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("alert_subscribers.id"))
    target_kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind, 16))
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Events up to this moment have been sent (or predate the subscription).
    seen_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    subscriber: Mapped[AlertSubscriber] = relationship(back_populates="subscriptions")
