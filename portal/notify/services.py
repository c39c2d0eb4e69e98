"""Queue messages in the caller's transaction; deliver them later with retries and backoff.

Delivery is at-least-once. A message is marked sent only after its sender returned, so a crash
can never lose one: its row stays due and the next run sends it. The price is the opposite
window: a crash after the sender returned but before the outcome was committed re-sends that
message. deliver_due() therefore claims, sends and records one message at a time, calling the
caller's `checkpoint` (normally `session.commit`) after each, so that window holds at most one
message. Without a checkpoint the caller commits once at the end and a crash may re-send up to
`batch` messages.

Each message is claimed with SELECT ... FOR UPDATE SKIP LOCKED: on PostgreSQL a second
concurrent run skips the rows the first holds until it has committed their outcome, so two runs
never send the same message. SQLite ignores the clause; `flask portal deliver` serialises runs
with a file lock there instead.
"""

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Channel, OutboxMessage
from .senders import PermanentDeliveryError, Sender

log = logging.getLogger("portal.notify")

FIRST_RETRY = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
# 1, 2, 4 ... 256 minutes, then 6 h twice: about 20 hours of retrying, so a mail server that is
# down overnight does not make the portal give up on anyone.
MAX_ATTEMPTS = 12
MAX_ERROR_LENGTH = 1000
SUBJECT_LENGTH = 200  # OutboxMessage.subject is a String(200)

_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
_PHONE = re.compile(r"\+?\d{5,20}")


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed

    def __add__(self, other: "DeliveryReport") -> "DeliveryReport":
        return DeliveryReport(
            self.sent + other.sent, self.retried + other.retried, self.failed + other.failed
        )


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: 1 min, doubling, capped at 6 h.

    Raises:
        ValueError: attempts is below 1.
    """
    if attempts < 1:
        raise ValueError("backoff is defined after at least one failed attempt")
    # Bounding the exponent keeps a huge attempt count from overflowing timedelta.
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 32), MAX_BACKOFF)


def enqueue_email(
    session: Session,
    to: str,
    subject: str,
    body: str,
    now: datetime,
    headers: Mapping[str, str] | None = None,
) -> OutboxMessage:
    """Add an email to the outbox in the caller's transaction (flushed, not committed).

    Raises:
        ValueError: `to` is not a single email address.
    """
    to = to.strip()
    if not _EMAIL.fullmatch(to) or len(to) > 200:
        raise ValueError("not a single email address")  # the address stays out of tracebacks
    # Line breaks in a header are an injection risk; the subject is a courtesy line and the body
    # carries the content, so flatten and shorten it rather than fail the caller's transaction.
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
    message = _enqueue(session, Channel.email, to, subject, body, now)
    if headers:
        # One line each: a line break in a header value would be an injection.
        message.headers = {k: " ".join(str(v).split()) for k, v in headers.items()}
    return message


def enqueue_sms(session: Session, to: str, body: str, now: datetime) -> OutboxMessage:
    """Add an SMS to the outbox in the caller's transaction (flushed, not committed).

    Raises:
        ValueError: `to` is not a phone number (digits, optional leading +, 5 to 20 digits).
    """
    number = re.sub(r"[\s\-()]", "", to)
    if not _PHONE.fullmatch(number):
        raise ValueError("not a phone number")  # the number stays out of tracebacks
    return _enqueue(session, Channel.sms, number, "", body, now)


def _enqueue(
    session: Session, channel: Channel, to: str, subject: str, body: str, now: datetime
) -> OutboxMessage:
    message = OutboxMessage(
        channel=channel,
        recipient=to,
        subject=subject,
        body=body,
        created_at=now,
        next_attempt_at=now,
        attempts=0,
        last_error="",
    )
    session.add(message)
    session.flush()
    return message


def deliver_due(
    session: Session,
    now: datetime,
    senders: Mapping[Channel, Sender],
    *,
    batch: int = 100,
    checkpoint: Callable[[], None] | None = None,
) -> DeliveryReport:
    """Send up to `batch` due messages, oldest first; record each outcome (flushed).

    `checkpoint` runs after each outcome is flushed; pass `session.commit` so a crash can re-send
    at most one message (see the module docstring). Messages of a channel with no sender in
    `senders` are left untouched.
    """
    sent = retried = failed = 0
    while sent + retried + failed < batch:
        message = _claim_next(session, now, senders.keys())
        if message is None:
            break
        try:
            senders[message.channel].send(message)
        except PermanentDeliveryError as exc:
            _record_failure(message, exc, now, give_up=True)
            failed += 1
        except Exception as exc:  # any backend error is worth a later try
            give_up = message.attempts + 1 >= MAX_ATTEMPTS
            _record_failure(message, exc, now, give_up=give_up)
            if give_up:
                failed += 1
            else:
                retried += 1
        else:
            message.sent_at = now
            sent += 1
        session.flush()
        if checkpoint is not None:
            checkpoint()
    return DeliveryReport(sent, retried, failed)


def _claim_next(
    session: Session, now: datetime, channels: Iterable[Channel]
) -> OutboxMessage | None:
    """Lock and load the oldest due message, skipping rows another run holds."""
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(list(channels)),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        # The identity map may hold an older copy; the locked row is the truth.
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).first()


def _record_failure(
    message: OutboxMessage, exc: Exception, now: datetime, *, give_up: bool
) -> None:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    if give_up:
        message.failed_at = now
        # The error text may name the recipient; it stays in the database, not in the logs.
        log.error("outbox message %s given up after %s attempts", message.id, message.attempts)
    else:
        message.next_attempt_at = now + backoff(message.attempts)
        log.warning(
            "outbox message %s: attempt %s failed (%s); next try at %s",
            message.id,
            message.attempts,
            type(exc).__name__,
            message.next_attempt_at.isoformat(),
        )
