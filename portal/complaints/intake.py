"""Intake: the one path by which a complaint enters the portal, whatever the channel.

The web form, staff intake and Open311 build a `ComplaintInput` and call `submit`, which
validates, stores, routes (through `complaint_submitted`), dates and acknowledges the report
in one unit of work; `commit` ends it and publishes the photo files. A crash at any point
leaves either the whole complaint or nothing, and no staged file behind.

Photos arrive as uploaded files, or as tokens of photos the form staged earlier
(`staging`). A form key makes a submission idempotent: a retried POST answers with the
complaint the first one filed (a primary key decides a race, not a check).
"""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core.codes import is_plausible_code, normalise_code
from ..core.errors import UserError
from ..core.geo import distance_m, in_china
from ..extensions import db
from ..notify import services as notify
from ..outfalls.models import Outfall
from ..urls import public_url
from . import photos as photo_rules
from . import staging
from .events import append_event
from .labels import format_distance
from .models import (
    ActorKind,
    Channel,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    EventKind,
    LocationCheck,
    LocationSource,
    Reporter,
    StagedUpload,
    SubmissionKey,
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
    # The web form's key (tokens.make_form_key): its idempotency key, and the form its
    # staged photos belong to. Empty: no idempotency, no staged photos.
    form_key: str = ""
    # Photos the form staged before the submit (staging.stage), by token.
    photo_tokens: Sequence[str] = ()
    # The citizen's answer when a photo was taken far from the outfall: "photo" or
    # "outfall" (empty: not asked yet).
    location_choice: str = ""


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
    # True when the form key had filed this complaint already: nothing new was stored.
    repeated: bool = False


class LocationQuestion(UserError):
    """A photo was taken far from the linked outfall: the citizen must say which is right."""

    def __init__(self, message, distance: float):
        super().__init__(message, "location_choice")
        self.distance_m = distance


# A photo's GPS farther than this from the linked outfall is asked about, never used
# silently (config LOCATION_MISMATCH_M).
MISMATCH_M = 500


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

    `uploads` are uploaded files (any channel); `data.photo_tokens` name photos the web
    form staged before. Whatever goes wrong, no staged file is left behind and nothing is
    flushed for good. A form key that filed a report already returns that report's
    receipt (`repeated`), even when two submissions race.

    Raises:
        UserError: a bad photo or photo token, an unknown category or outfall, no usable
            location; `LocationQuestion` when a photo was taken far from the outfall.
    """
    if earlier := earlier_receipt(data.form_key):
        return earlier
    photos = read_photos(uploads, configured_limits())
    claimed = staging.claim(data.form_key, data.photo_tokens, now)
    check_photo_count(len(photos) + len(claimed), max_photos=configured_limits().max_photos)
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
            claimed=claimed,
        )
    except IntegrityError:
        db.session.rollback()
        discard(staged)
        # Another submission of this form won the race for its key: answer with it.
        if earlier := earlier_receipt(data.form_key):
            return earlier
        raise
    except BaseException:
        db.session.rollback()
        discard(staged)
        raise


def earlier_receipt(form_key: str | None) -> Receipt | None:
    """The receipt of the complaint this form key filed already, if any."""
    if not form_key:
        return None
    complaint = db.session.scalars(
        select(Complaint).join(SubmissionKey).where(SubmissionKey.key == form_key)
    ).first()
    if complaint is None:
        return None
    token = make_token(complaint.token_nonce, current_app.config["SECRET_KEY"])
    return Receipt(complaint, token, repeated=True)


def check_photo_count(count: int, *, max_photos: int) -> None:
    """Raises:
    UserError: more photos than one report may have (field "photos")."""
    try:
        photo_rules.check_photo_count(count, max_photos=max_photos)
    except photo_rules.PhotoError as error:
        raise UserError(error.message, "photos") from error


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
    claimed: Sequence[StagedUpload] = (),
) -> Receipt:
    """Validate, store and acknowledge a report whose photos were read (flushes only).

    `tracking_link(token) -> str` builds the absolute private link for the email and
    SMS. Staged files are appended to `staged` as they are written; `claimed` staged
    uploads (see staging.claim) become the case's photos without copying a file.

    Raises:
        UserError: unknown category or outfall, or no usable location;
            `LocationQuestion` for a photo taken far from the outfall, not yet answered.
        IntegrityError: the form key filed a complaint meanwhile (submit answers it).
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
    lat, lon, source, check = _location(data, photos, claimed, outfall)

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
    if data.form_key:
        # First, before anything else is written: a concurrent submission of the same
        # form waits here for this one, then fails on the key (submit answers with ours).
        db.session.add(SubmissionKey(key=data.form_key, complaint_id=complaint.id, created_at=now))
        db.session.flush()
    complaint.tracking_no = tracking_number(complaint.id, now)
    if check is not None:
        check.complaint = complaint
        db.session.add(check)
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
    complaint.photos.extend(staging.to_photo(row) for row in claimed)
    staging.consume(claimed)
    append_event(
        complaint,
        EventKind.submitted,
        now,
        actor_kind=ActorKind.staff if data.entered_by else ActorKind.reporter,
        actor_id=data.entered_by,
    )
    with force_locale(data.locale or "zh"):  # the reporter's language, whichever channel
        link = tracking_link(token) if named and (data.email or data.phone) else ""
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
                "Report %(number)s received. Follow it at %(link)s (your private link; "
                "or look it up with this number and your phone).",
                number=complaint.tracking_no,
                link=link,
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
    data: ComplaintInput,
    photos: list[Photo],
    claimed: Sequence[StagedUpload],
    outfall: Outfall | None,
) -> tuple[float, float, LocationSource, LocationCheck | None]:
    """Where the problem is: as given, else a photo's GPS, else the outfall's position.

    A photo taken more than LOCATION_MISMATCH_M from the linked outfall is never used
    silently: the citizen on the web form is asked which place is right (other channels
    keep the outfall's place), and both points are kept for staff.

    Raises:
        LocationQuestion: a far photo and no answer yet (field "location_choice").
        UserError: none of them gives a point (field "lat").
    """
    if data.lat is not None and data.lon is not None:
        source = data.location_source
        return (
            data.lat,
            data.lon,
            LocationSource(source if source in LocationSource.__members__ else "pin"),
            None,
        )
    taken = _photo_point(photos, claimed)
    if taken and outfall is not None and outfall.lat is not None:
        (plat, plon), kind = taken
        far = distance_m(plat, plon, outfall.lat, outfall.lon)
        if far > current_app.config.get("LOCATION_MISMATCH_M", MISMATCH_M):
            # Only the citizen on the web form can be asked; a report entered by staff or
            # sent by another system keeps the outfall's place, and staff see both points.
            choice = data.location_choice or ("" if data.channel == Channel.web else "outfall")
            if choice not in ("photo", "outfall"):
                raise LocationQuestion(
                    _(
                        "Your photo was taken %(distance)s from the outfall %(name)s. "
                        "Which place is right?",
                        distance=format_distance(far),
                        name=outfall.name,
                    ),
                    far,
                )
            check = LocationCheck(
                outfall_lat=outfall.lat,
                outfall_lon=outfall.lon,
                photo_lat=plat,
                photo_lon=plon,
                photo_source=kind,
                distance_m=round(far, 1),
                chosen=choice,
            )
            if choice == "photo":
                return plat, plon, LocationSource.photo, check
            return outfall.lat, outfall.lon, LocationSource.outfall, check
    if taken:
        (plat, plon), _kind = taken
        return plat, plon, LocationSource.photo, None
    if outfall is not None and outfall.lat is not None:
        return outfall.lat, outfall.lon, LocationSource.outfall, None
    raise UserError(
        _("Tell us where: put a pin on the map, use your location, or pick an outfall."), "lat"
    )


def _photo_point(
    photos: list[Photo], claimed: Sequence[StagedUpload]
) -> tuple[tuple[float, float], str] | None:
    """The first photo's point in China and whence it came ("file" EXIF or "device")."""
    for photo in photos:
        if photo.processed.gps and in_china(*photo.processed.gps):
            return photo.processed.gps, "file"
    for row in claimed:
        point = row.where_taken
        if point and in_china(*point):
            return point, "file" if row.gps_lat is not None else "device"
    return None
