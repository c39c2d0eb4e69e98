"""Subscribing (double opt-in, rate-limited), confirming, unsubscribing, forgetting, and
the daily digests. Services flush; the view or command commits."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from ..complaints.models import Complaint
from ..core.codes import is_plausible_code, normalise_code
from ..core.errors import UserError
from ..extensions import db
from ..geo.models import Region, WaterBody
from ..i18n import localname
from ..notify.models import OutboxMessage
from ..notify.services import enqueue_email
from ..opendata import feeds
from ..outfalls.models import Outfall
from ..urls import public_url
from .models import AlertSubscriber, AlertSubscription, TargetKind

LIST_ID = "alerts"  # the List-Id marks alert mail in the outbox (what "delete" scrubs)
MAX_SUBSCRIPTIONS = 50


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    id: int
    title: str
    url: str


def find_target(kind: str, key: str) -> Target | None:
    """What a visitor asked to follow: an outfall code, a water id, a region code or a
    tracking number; None when there is no such thing."""
    key = (key or "").strip()
    if kind == "outfall":
        code = normalise_code(key)
        row = (
            db.session.scalars(select(Outfall).where(Outfall.code == code)).first()
            if is_plausible_code(code)
            else None
        )
        if row:
            return Target(
                TargetKind.outfall,
                row.id,
                row.name,
                public_url("outfalls.show_outfall", code=row.code),
            )
    elif kind == "water" and key.isdigit() and len(key) < 10:
        row = db.session.get(WaterBody, int(key))
        if row:
            return Target(
                TargetKind.water,
                row.id,
                localname(row),
                public_url("outfalls.show_water", water_id=row.id),
            )
    elif kind == "region" and key.isdigit():
        row = db.session.scalars(select(Region).where(Region.code == key)).first()
        if row:
            return Target(
                TargetKind.region,
                row.id,
                localname(row),
                public_url("outfalls.list_outfalls", region=row.code),
            )
    elif kind == "complaint":
        row = db.session.scalars(select(Complaint).where(Complaint.tracking_no == key)).first()
        if row:
            return Target(
                TargetKind.complaint,
                row.id,
                row.tracking_no,
                public_url("complaints.show_public", tracking_no=row.tracking_no),
            )
    return None


def target_of(sub: AlertSubscription) -> Target | None:
    """The target a subscription follows (None when it was removed from the registry)."""
    kind, ident = sub.target_kind, sub.target_id
    if kind is TargetKind.outfall:
        row = db.session.get(Outfall, ident)
        return row and Target(
            kind, ident, row.name, public_url("outfalls.show_outfall", code=row.code)
        )
    if kind is TargetKind.water:
        row = db.session.get(WaterBody, ident)
        return row and Target(
            kind, ident, localname(row), public_url("outfalls.show_water", water_id=ident)
        )
    if kind is TargetKind.region:
        row = db.session.get(Region, ident)
        return row and Target(
            kind, ident, localname(row), public_url("outfalls.list_outfalls", region=row.code)
        )
    row = db.session.get(Complaint, ident)
    return row and Target(
        kind,
        ident,
        row.tracking_no,
        public_url("complaints.show_public", tracking_no=row.tracking_no),
    )


def _scope(sub: AlertSubscription):
    if sub.target_kind is TargetKind.outfall:
        return feeds.outfall_scope(sub.target_id)
    if sub.target_kind is TargetKind.water:
        return feeds.area_scope(water=sub.target_id)
    if sub.target_kind is TargetKind.region:
        code = db.session.scalar(select(Region.code).where(Region.id == sub.target_id))
        return feeds.area_scope(region=code)
    return feeds.complaint_scope(sub.target_id)


# --- Tokens --------------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"alerts-{purpose}")


def token(purpose: str, subscriber: AlertSubscriber, subscription_id: int = 0) -> str:
    return _serializer(purpose).dumps([subscriber.id, subscriber.nonce, subscription_id])


def read_token(purpose: str, value: str) -> tuple[AlertSubscriber, int] | None:
    """The subscriber (and subscription id) a signed link names; None if it names no one."""
    try:
        subscriber_id, nonce, subscription_id = _serializer(purpose).loads(value)
    except (BadSignature, ValueError, TypeError):
        return None
    subscriber = db.session.get(AlertSubscriber, int(subscriber_id))
    if subscriber is None or not secrets.compare_digest(subscriber.nonce, str(nonce)):
        return None
    return subscriber, int(subscription_id)


def _list_headers(subscriber: AlertSubscriber) -> dict[str, str]:
    link = public_url("alerts.unsubscribe", token=token("unsubscribe", subscriber))
    return {
        "List-Id": f"<{LIST_ID}.{public_url('outfalls.home').split('/')[2]}>",
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _footer(subscriber: AlertSubscriber) -> str:
    return "\n\n" + _(
        "Stop these emails: %(unsubscribe)s\nDelete your address and everything else we "
        "keep about you: %(delete)s",
        unsubscribe=public_url("alerts.unsubscribe", token=token("unsubscribe", subscriber)),
        delete=public_url("alerts.forget", token=token("forget", subscriber)),
    )


# --- Subscribing ---------------------------------------------------------------------------


def subscribe(email: str, target: Target, now: datetime) -> bool:
    """Note a subscription and mail its confirmation link; False when the address's limit
    of confirmation mails is reached (nothing is sent; the visitor sees the same page).

    Raises:
        UserError: not an email address, or too many subscriptions (field "email").
    """
    config = current_app.config
    address = email.strip().lower()
    subscriber = db.session.scalars(
        select(AlertSubscriber).where(AlertSubscriber.email == address)
    ).first()
    if subscriber is None:
        subscriber = AlertSubscriber(
            email=address, nonce=secrets.token_hex(16), created_at=now, confirmations_sent=0
        )
        db.session.add(subscriber)
    window = timedelta(hours=24)
    if subscriber.window_started_at is None or subscriber.window_started_at <= now - window:
        subscriber.window_started_at, subscriber.confirmations_sent = now, 0
    if subscriber.confirmations_sent >= config["ALERTS_CONFIRMATIONS_PER_DAY"]:
        return False
    existing = next(
        (
            s
            for s in subscriber.subscriptions
            if (s.target_kind, s.target_id) == (target.kind, target.id)
        ),
        None,
    )
    if existing is not None and existing.confirmed_at is not None:
        return True  # already following it: nothing to confirm
    if existing is None:
        if len(subscriber.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise UserError(_("This address follows too many things already."), "email")
        existing = AlertSubscription(target_kind=target.kind, target_id=target.id, created_at=now)
        subscriber.subscriptions.append(existing)
    db.session.flush()
    link = public_url("alerts.confirm", token=token("confirm", subscriber, existing.id))
    try:
        enqueue_email(
            db.session,
            address,
            _("Confirm your alerts about %(target)s", target=target.title),
            _(
                "Someone (we hope you) asked for email alerts about %(target)s (%(url)s).\n\n"
                "Confirm here: %(link)s\n\nIf it was not you, ignore this email: nothing "
                "more will be sent.",
                target=target.title,
                url=target.url,
                link=link,
            )
            + _footer(subscriber),
            now,
            headers=_list_headers(subscriber),
        )
    except ValueError:
        raise UserError(_("Enter an email address."), "email") from None
    subscriber.confirmations_sent += 1
    return True


def confirm(subscriber: AlertSubscriber, subscription_id: int, now: datetime) -> Target | None:
    """Start sending a subscription's alerts; events before now are not sent."""
    sub = next((s for s in subscriber.subscriptions if s.id == subscription_id), None)
    if sub is None:
        return None
    if sub.confirmed_at is None:
        sub.confirmed_at = sub.seen_until = now
    return target_of(sub)


def unsubscribe(subscriber: AlertSubscriber) -> None:
    """Stop every alert of the address, and forget the address with them."""
    db.session.delete(subscriber)
    db.session.flush()


def forget(subscriber: AlertSubscriber) -> None:
    """Delete everything about the address: subscriptions, the address, and its alert mail
    in the outbox (unsent mail is dropped, sent mail loses its recipient)."""
    for message in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == subscriber.email)
    ):
        if (message.headers or {}).get("List-Id", "").startswith(f"<{LIST_ID}."):
            if message.sent_at is None:
                db.session.delete(message)
            else:
                message.recipient, message.body = "", ""
    unsubscribe(subscriber)


# --- Digests -------------------------------------------------------------------------------


def send_digests(now: datetime, batch: int = 500) -> int:
    """One digest to each subscriber with news whose last digest is at least the configured
    interval old; returns how many were queued. Keyset over subscribers (constant memory)."""
    interval = timedelta(hours=current_app.config["ALERTS_DIGEST_HOURS"])
    queued, last_id = 0, 0
    while True:
        subscribers = db.session.scalars(
            select(AlertSubscriber)
            .where(AlertSubscriber.id > last_id)
            .order_by(AlertSubscriber.id)
            .limit(batch)
        ).all()
        if not subscribers:
            return queued
        for subscriber in subscribers:
            if subscriber.last_digest_at is None or subscriber.last_digest_at <= now - interval:
                queued += _digest(subscriber, now)
        last_id = subscribers[-1].id
        db.session.flush()


def _digest(subscriber: AlertSubscriber, now: datetime) -> int:
    sections = []
    confirmed = [s for s in subscriber.subscriptions if s.confirmed_at is not None]
    for sub in confirmed:
        target = target_of(sub)
        if target is None:
            continue
        news = [
            e
            for e in feeds.entries(_scope(sub), resolutions=True)
            if sub.seen_until is None or e.at > sub.seen_until
        ]
        if news:
            lines = "\n".join(f"- {e.title}\n  {e.link}" for e in reversed(news))
            sections.append(f"{target.title} ({target.url})\n{lines}")
    if not sections:
        return 0
    subject = _("Outfall alerts: %(n)s updates", n=len(sections))
    enqueue_email(
        db.session,
        subscriber.email,
        subject,
        "\n\n".join(sections) + _footer(subscriber),
        now,
        headers=_list_headers(subscriber),
    )
    for sub in confirmed:
        sub.seen_until = now
    subscriber.last_digest_at = now
    return 1


def purge_unconfirmed(now: datetime) -> int:
    """Forget subscriptions left unconfirmed for a week, and addresses left with none."""
    cutoff = now - timedelta(days=7)
    removed = db.session.execute(
        delete(AlertSubscription).where(
            AlertSubscription.confirmed_at.is_(None), AlertSubscription.created_at < cutoff
        )
    ).rowcount
    orphans = select(AlertSubscription.id).where(
        AlertSubscription.subscriber_id == AlertSubscriber.id
    )
    db.session.execute(
        delete(AlertSubscriber).where(~orphans.exists(), AlertSubscriber.created_at < cutoff)
    )
    return removed or 0
