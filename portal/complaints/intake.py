"""Intake: the one path by which a complaint enters the portal, whatever the channel.

The web form, staff intake and Open311 build a `ComplaintInput` and call `submit`, which
validates, stores, routes (through `complaint_submitted`), dates and acknowledges the report
in one unit of work; `commit` ends it and publishes the photo files. A crash at any point
leaves either the whole complaint or nothing, and no staged file behind.
"""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.codes import is_plausible_code, normalise_code
from ..core.errors import UserError
from ..core.geo import in_china
from ..extensions import db
from ..notify import services as notify
from ..outfalls.models import Outfall
from ..urls import public_url
from .events import append_event
from .models import (
    ActorKind,
    Channel,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    EventKind,
    LocationSource,
    Reporter,
)
from .signals import complaint_submitted
from .tokens import make_token, salted, token_hash, tracking_number
from .uploads import (
    Photo,
    Staged,
    Stores,
    commit_then_publish,
    configured_limits,
    configured_stores,
    discard,
    read_photos,
    stage_photos,
)


@dataclass
class ComplaintInput:
    """A report as any channel gives it, already checked for shape by its form."""

    category_code: str
    description: str
    outfall_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    location_source: str = "pin"
    anonymous: bool = True
    name: str = ""
    phone: str = ""
    email: str = ""
    consent_publish: bool = False
    ip: str = ""
    locale: str = "zh"
    # How it reached us and when (staff intake: a call's time, a letter's arrival). The
    # deadlines count from `received_at`; None means now (the web form, Open311).
    channel: str = Channel.web.value
    received_at: datetime | None = None
    # The 12345 hotline's work order number, for a case transferred from it.
    hotline_order_no: str = ""
    # The staff member who entered it (None: the reporter filed it themselves).
    entered_by: int | None = None


# How far back a received-at may lie: a letter takes days, a forgotten one is a new report.
MAX_RECEIVED_AGE = timedelta(days=60)
# A received-at this far ahead of the server clock is a typo, not clock skew.
MAX_RECEIVED_AHEAD = timedelta(minutes=5)


@dataclass
class Receipt:
    """What the reporter gets back, and the files to publish once committed."""

    complaint: Complaint
    token: str
    staged: list[Staged] = field(default_factory=list)


def active_categories() -> list[ComplaintCategory]:
    """Complaint categories offered on the form, in the coordinator's order."""
    return list(
        db.session.scalars(
            select(ComplaintCategory)
            .where(ComplaintCategory.active)
            .order_by(ComplaintCategory.position, ComplaintCategory.id)
        )
    )


def find_outfall(raw_code: str | None) -> Outfall | None:
    """The outfall a typed or QR-linked code names; None for no code.

    Raises:
        UserError: the code names no outfall (field "outfall").
    """
    if not raw_code or not raw_code.strip():
        return None
    code = normalise_code(raw_code)
    outfall = None
    if is_plausible_code(code):
        outfall = db.session.scalars(select(Outfall).where(Outfall.code == code)).first()
    if outfall is None:
        raise UserError(_("No outfall has the code %(code)s.", code=raw_code.strip()), "outfall")
    if outfall.merged_into_id is not None:
        # Reports go to the outfall that carries the flow now.
        return db.session.get(Outfall, outfall.merged_into_id)
    return outfall


def submit(data: ComplaintInput, uploads: Sequence, now: datetime) -> Receipt:
    """Check the photos, then file the report (flushes; end the unit of work with `commit`).

    Whatever goes wrong, no staged file is left behind and nothing is flushed for good.

    Raises:
        UserError: a bad photo, an unknown category or outfall, or no usable location.
    """
    photos = read_photos(uploads, configured_limits())
    staged: list[Staged] = []
    try:
        return file_complaint(
            data,
            photos,
            now,
            configured_stores(),
            current_app.config["SECRET_KEY"],
            lambda token: public_url("complaints.track", token=token),
            staged=staged,
        )
    except BaseException:
        db.session.rollback()
        discard(staged)
        raise


def commit(receipt: Receipt) -> bool:
    """Commit the report, then publish its photos; False (nothing stored) if the commit failed."""
    return commit_then_publish(receipt.staged)


def file_complaint(
    data: ComplaintInput,
    photos: list[Photo],
    now: datetime,
    stores: Stores,
    secret: str,
    tracking_link: Callable[[str], str],
    *,
    staged: list[Staged] | None = None,
) -> Receipt:
    """Validate, store and acknowledge a report whose photos were read (flushes only).

    `tracking_link(token) -> str` builds the absolute private link for the email. Staged
    files are appended to `staged` as they are written.

    Raises:
        UserError: unknown category or outfall, or no usable location.
    """
    staged = [] if staged is None else staged
    category = db.session.scalars(
        select(ComplaintCategory).where(
            ComplaintCategory.code == data.category_code, ComplaintCategory.active
        )
    ).first()
    if category is None:
        raise UserError(_("Choose what kind of problem this is."), "category")
    received = _received_at(data, now)
    channel, order_no = _channel(data)
    outfall = find_outfall(data.outfall_code)
    lat, lon, source = _location(data, photos, outfall)

    nonce = secrets.token_hex(16)
    token = make_token(nonce, secret)
    complaint = Complaint(
        token_nonce=nonce,
        token_hash=token_hash(token),
        category=category,
        description=data.description.strip(),
        outfall=outfall,
        water_body_id=outfall.water_body_id if outfall else None,
        lat=round(lat, 6),
        lon=round(lon, 6),
        location_source=source,
        status=ComplaintStatus.submitted,
        consent_publish=data.consent_publish,
        channel=channel,
        hotline_order_no=order_no,
        created_at=received,
        updated_at=now,
    )
    db.session.add(complaint)
    db.session.flush()
    complaint.tracking_no = tracking_number(complaint.id, now)
    named = not data.anonymous and any((data.name, data.phone, data.email))
    db.session.add(
        Reporter(
            complaint_id=complaint.id,
            anonymous=not named,
            name=data.name.strip() if named else "",
            phone=data.phone.strip() if named else "",
            email=data.email.strip() if named else "",
            ip_hash=salted(data.ip, secret) if data.ip else "",
            locale=data.locale,
        )
    )
    stage_photos(complaint, photos, stores, staged)
    append_event(
        complaint,
        EventKind.submitted,
        now,
        actor_kind=ActorKind.staff if data.entered_by else ActorKind.reporter,
        actor_id=data.entered_by,
    )
    with force_locale(data.locale or "zh"):  # the reporter's language, whichever channel
        link = tracking_link(token) if named and data.email else ""
        _acknowledge(data, complaint, named, link, now)
    complaint_submitted.send(complaint, now=now)
    return Receipt(complaint, token, staged)


def _acknowledge(data: ComplaintInput, complaint: Complaint, named: bool, link: str, now) -> None:
    """Tell a named reporter that the report arrived (email with the private link, SMS)."""
    if named and data.email:
        notify.enqueue_email(
            db.session,
            data.email.strip(),
            _("Your report %(number)s was received", number=complaint.tracking_no),
            render_template("email/complaint_received.txt", complaint=complaint, link=link),
            now,
        )
    if named and data.phone:
        notify.enqueue_sms(
            db.session,
            data.phone.strip(),
            _(
                "Report %(number)s received. Track it with this number and your phone.",
                number=complaint.tracking_no,
            ),
            now,
        )


def _received_at(data: ComplaintInput, now: datetime) -> datetime:
    """When the report was received: as the channel says, else now.

    Raises:
        UserError: in the future, or older than MAX_RECEIVED_AGE (field "received_at").
    """
    received = data.received_at
    if received is None:
        return now
    if received.tzinfo is None:
        raise ValueError("naive received_at; give an aware datetime")
    if received > now + MAX_RECEIVED_AHEAD:
        raise UserError(_("The time received cannot be in the future."), "received_at")
    if received < now - MAX_RECEIVED_AGE:
        raise UserError(
            _(
                "The time received is more than %(days)s days ago; check the date.",
                days=MAX_RECEIVED_AGE.days,
            ),
            "received_at",
        )
    return min(received, now)


def _channel(data: ComplaintInput) -> tuple[str, str]:
    """The channel and the 12345 work order number (required for a 12345 transfer).

    Raises:
        UserError: an unknown channel (field "channel"), or a 12345 transfer without its
            order number (field "hotline_order_no").
    """
    try:
        channel = Channel(data.channel)
    except ValueError:
        raise UserError(_("Choose how the report reached you."), "channel") from None
    order_no = (data.hotline_order_no or "").strip()
    if channel is Channel.hotline_12345 and not order_no:
        raise UserError(_("Give the 12345 work order number."), "hotline_order_no")
    return channel.value, order_no


def _location(
    data: ComplaintInput, photos: list[Photo], outfall: Outfall | None
) -> tuple[float, float, LocationSource]:
    """Where the problem is: as given, else a photo's GPS, else the outfall's position.

    Raises:
        UserError: none of them gives a point (field "lat").
    """
    if data.lat is not None and data.lon is not None:
        source = data.location_source
        return (
            data.lat,
            data.lon,
            LocationSource(source if source in LocationSource.__members__ else "pin"),
        )
    gps = next((p.processed.gps for p in photos if p.processed.gps), None)
    if gps and in_china(*gps):
        return gps[0], gps[1], LocationSource.photo
    if outfall is not None and outfall.lat is not None:
        return outfall.lat, outfall.lon, LocationSource.outfall
    raise UserError(
        _("Tell us where: put a pin on the map, use your location, or pick an outfall."), "lat"
    )
