"""Complaint workflows: intake, tracking, the reporter's follow-ups. Services flush only."""

import base64
import hashlib
import hmac
import math
import os
import secrets
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..core.clock import LOCAL_TZ
from ..core.codes import is_plausible_code, normalise_code
from ..core.hashchain import chain_hash
from ..core.storage import FileStore, StagedFile
from ..extensions import db
from ..notify import services as notify
from ..outfalls.models import Outfall
from . import photos as photo_rules
from .models import (
    OPEN_STATUSES,
    ActorKind,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintPhoto,
    ComplaintStatus,
    LocationSource,
    Reporter,
    Support,
)
from .signals import complaint_reopened, complaint_submitted, information_added


class InputError(ValueError):
    """Bad input for one form field; `message` is translated and shown next to it."""

    def __init__(self, field_name: str, message):
        super().__init__(str(message))
        self.field = field_name
        self.message = message


@dataclass
class Stores:
    """Where public copies (and thumbnails) and private originals go."""

    public: FileStore
    evidence: FileStore


@dataclass
class PhotoLimits:
    max_photos: int = photo_rules.MAX_PHOTOS
    max_bytes: int = photo_rules.MAX_BYTES
    max_pixels: int = photo_rules.MAX_PIXELS


@dataclass
class ComplaintInput:
    """A validated report, as the form gives it."""

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


@dataclass
class Photo:
    """An upload that passed the photo pipeline, with its original bytes."""

    original: bytes
    processed: photo_rules.ProcessedPhoto


@dataclass(frozen=True)
class Staged:
    """A staged file and the store it must be published to."""

    store: FileStore
    file: StagedFile


@dataclass
class Receipt:
    """What the reporter gets back, and the files to publish once committed."""

    complaint: Complaint
    token: str
    staged: list["Staged"] = field(default_factory=list)


# --- Reference data ----------------------------------------------------------------------


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
        InputError: the code names no outfall.
    """
    if not raw_code or not raw_code.strip():
        return None
    code = normalise_code(raw_code)
    outfall = None
    if is_plausible_code(code):
        outfall = db.session.scalars(select(Outfall).where(Outfall.code == code)).first()
    if outfall is None:
        raise InputError("outfall", _("No outfall has the code %(code)s.", code=raw_code.strip()))
    if outfall.merged_into_id is not None:
        # Reports go to the outfall that carries the flow now.
        return db.session.get(Outfall, outfall.merged_into_id)
    return outfall


# --- Photos ------------------------------------------------------------------------------


def read_photos(files: Iterable, limits: PhotoLimits) -> list[Photo]:
    """Decode and re-encode every uploaded photo; stop at the first bad one.

    Raises:
        InputError: too many photos, or one that is not an acceptable photo.
    """
    uploads = [f for f in files if f and getattr(f, "filename", None)]
    try:
        photo_rules.check_photo_count(len(uploads), max_photos=limits.max_photos)
        originals = []
        for upload in uploads:
            stream: IO[bytes] = upload.stream
            originals.append(photo_rules.read_limited(stream, max_bytes=limits.max_bytes))

        def process(data: bytes):
            return photo_rules.process_photo(
                data, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels
            )

        # Pillow decodes and encodes without the GIL: the photos of one report are worked
        # on side by side (three 12 Mpx photos: ~390 ms one after another, ~260 ms so).
        # map() yields in upload order, so the first bad photo is the one reported.
        if len(originals) > 1:
            processed = list(_photo_pool().map(process, originals))
        else:
            processed = [process(data) for data in originals]
        return [Photo(data, p) for data, p in zip(originals, processed, strict=True)]
    except photo_rules.PhotoError as error:
        raise InputError("photos", error.message) from error


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _photo_pool() -> ThreadPoolExecutor:
    """Threads for photo work, started on first use in the worker process (never before a
    fork: a pool inherited from a parent would have no threads)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="photos"
            )
        return _pool


def _stage_photos(
    complaint: Complaint, photos: list[Photo], stores: Stores, event_id: int | None = None
) -> list[Staged]:
    """Stage every file of every photo and add their rows (the caller publishes after commit)."""
    staged: list[Staged] = []
    for photo in photos:
        p = photo.processed
        staged += [
            Staged(stores.public, stores.public.stage(p.public_jpeg)),
            Staged(stores.public, stores.public.stage(p.thumb_jpeg)),
            Staged(stores.evidence, stores.evidence.stage(photo.original)),
        ]
        gps = p.gps or (None, None)
        complaint.photos.append(
            ComplaintPhoto(
                event_id=event_id,
                public_sha256=p.public_sha256,
                thumb_sha256=p.thumb_sha256,
                original_sha256=p.original_sha256,
                original_size=p.original_size,
                original_format=p.original_format,
                width=p.width,
                height=p.height,
                captured_at=p.captured_at,
                gps_lat=gps[0],
                gps_lon=gps[1],
            )
        )
    return staged


def publish(staged: Iterable[Staged]) -> None:
    """Make a committed change's files visible (cleanup_files() finishes any left)."""
    for item in staged:
        item.store.publish(item.file)


def discard(staged: Iterable[Staged]) -> None:
    """Remove the files of a change whose transaction failed."""
    for item in staged:
        item.store.discard([item.file])


def cleanup_files(stores: Stores, older_than: float = 3600) -> dict:
    """Publish staged files the database refers to and delete orphans (cron)."""

    def public_referenced(sha: str) -> bool:
        return bool(
            db.session.scalar(
                select(func.count())
                .select_from(ComplaintPhoto)
                .where((ComplaintPhoto.public_sha256 == sha) | (ComplaintPhoto.thumb_sha256 == sha))
            )
        )

    def evidence_referenced(sha: str) -> bool:
        return bool(
            db.session.scalar(
                select(func.count())
                .select_from(ComplaintPhoto)
                .where(ComplaintPhoto.original_sha256 == sha)
            )
        )

    public = stores.public.cleanup(public_referenced, older_than)
    evidence = stores.evidence.cleanup(evidence_referenced, older_than)
    return {key: public[key] + evidence[key] for key in public}


# --- Events ------------------------------------------------------------------------------


def event_fields(event: ComplaintEvent) -> dict:
    """The fields an event's hash covers."""
    return {
        "complaint_id": event.complaint_id,
        "seq": event.seq,
        "kind": event.kind,
        "actor_kind": event.actor_kind.value,
        "actor_id": event.actor_id,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "message": event.message,
        "public": event.public,
        "created_at": event.created_at,
    }


def append_event(
    complaint: Complaint,
    kind: str,
    now: datetime,
    *,
    actor_kind: ActorKind,
    actor_id: int | None = None,
    message: str = "",
    public: bool = True,
    to_status: ComplaintStatus | None = None,
) -> ComplaintEvent:
    """Record one action on the case's append-only, hash-chained history."""
    previous = complaint.events[-1] if complaint.events else None
    from_status = complaint.status.value if complaint.status else None
    if to_status is not None:
        complaint.status = to_status
    event = ComplaintEvent(
        complaint_id=complaint.id,
        seq=(previous.seq + 1) if previous else 1,
        kind=kind,
        actor_kind=actor_kind,
        actor_id=actor_id,
        from_status=from_status if to_status is not None else None,
        to_status=to_status.value if to_status is not None else None,
        message=message,
        public=public,
        created_at=now,
        prev_hash=previous.hash if previous else "",
    )
    event.hash = chain_hash(event.prev_hash, event_fields(event))
    complaint.events.append(event)
    db.session.flush()
    return event


# --- Tokens and tracking numbers --------------------------------------------------------


def make_token(nonce: str, secret: str) -> str:
    """The private link's token: unguessable, rebuilt only with the secret key."""
    mac = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tracking_number(complaint_id: int, created_at: datetime) -> str:
    """A number people can read aloud: TS-<year>-<six digits>."""
    return f"TS-{created_at.astimezone(LOCAL_TZ).year}-{complaint_id:06d}"


def normalise_tracking_no(raw: str) -> str:
    """TS-2026-004217 however it was typed (case, full-width, spaces, missing dashes)."""
    text = normalise_code(raw)
    if text.startswith("TS") and len(text) == 12 and text[2:].isdigit():
        return f"TS-{text[2:6]}-{text[6:]}"
    return text


def find_by_token(token: str) -> Complaint | None:
    """The complaint a private link opens, with what its tracking page shows."""
    if not token or len(token) > 64:
        return None
    return db.session.scalars(
        select(Complaint)
        .where(Complaint.token_hash == token_hash(token))
        .options(
            joinedload(Complaint.category),
            joinedload(Complaint.outfall),
            joinedload(Complaint.department),
            selectinload(Complaint.photos),
            selectinload(Complaint.events),
        )
    ).first()


def lookup(tracking_no: str, contact: str, secret: str) -> str | None:
    """The private token for a tracking number, if the phone or email given matches."""
    complaint = db.session.scalars(
        select(Complaint).where(Complaint.tracking_no == normalise_tracking_no(tracking_no))
    ).first()
    if complaint is None:
        return None
    reporter = db.session.get(Reporter, complaint.id)
    if reporter is None or reporter.anonymous:
        return None
    wanted = contact.strip().lower()
    digits = "".join(c for c in wanted if c.isdigit())
    phone = "".join(c for c in reporter.phone if c.isdigit())
    matches = (reporter.email and wanted == reporter.email.lower()) or (
        phone and digits and digits[-11:] == phone[-11:]
    )
    return make_token(complaint.token_nonce, secret) if matches else None


# --- Intake ------------------------------------------------------------------------------


def _salted(value: str, secret: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def submit_complaint(
    data: ComplaintInput,
    photos: list[Photo],
    now: datetime,
    stores: Stores,
    secret: str,
    tracking_link,
) -> Receipt:
    """Validate, store and acknowledge a citizen's report (flushes; the caller commits).

    `tracking_link(token) -> str` builds the absolute private link for the email.

    Raises:
        InputError: unknown category or outfall, or no usable location.
    """
    category = db.session.scalars(
        select(ComplaintCategory).where(
            ComplaintCategory.code == data.category_code, ComplaintCategory.active
        )
    ).first()
    if category is None:
        raise InputError("category", _("Choose what kind of problem this is."))
    outfall = find_outfall(data.outfall_code)

    lat, lon, source = data.lat, data.lon, data.location_source
    if lat is None or lon is None:
        gps = next((p.processed.gps for p in photos if p.processed.gps), None)
        if gps and _in_china(*gps):
            lat, lon, source = gps[0], gps[1], LocationSource.photo.value
        elif outfall is not None and outfall.lat is not None:
            lat, lon, source = outfall.lat, outfall.lon, LocationSource.outfall.value
        else:
            raise InputError(
                "lat",
                _("Tell us where: put a pin on the map, use your location, or pick an outfall."),
            )
    if source not in LocationSource.__members__:
        source = LocationSource.pin.value

    nonce = secrets.token_hex(16)
    token = make_token(nonce, secret)
    complaint = Complaint(
        token_nonce=nonce,
        token_hash=token_hash(token),
        category=category,
        description=data.description.strip(),
        outfall=outfall,
        lat=round(lat, 6),
        lon=round(lon, 6),
        location_source=LocationSource(source),
        status=ComplaintStatus.submitted,
        consent_publish=data.consent_publish,
        created_at=now,
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
            ip_hash=_salted(data.ip, secret) if data.ip else "",
            locale=data.locale,
        )
    )
    staged = _stage_photos(complaint, photos, stores)
    append_event(complaint, "submitted", now, actor_kind=ActorKind.reporter)
    if named and data.email:
        link = tracking_link(token)
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
    complaint_submitted.send(complaint, now=now)
    return Receipt(complaint, token, staged)


def _in_china(lat: float, lon: float) -> bool:
    from .forms import CHINA_LAT, CHINA_LON

    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]


# --- Nearby ------------------------------------------------------------------------------

_M_PER_DEG_LAT = 111_320.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


@dataclass
class Nearby:
    complaint: Complaint
    distance_m: float | None


def nearby_open(
    lat: float | None,
    lon: float | None,
    outfall_id: int | None,
    now: datetime,
    *,
    radius_m: float = 200,
    days: int = 30,
    limit: int = 10,
) -> list[Nearby]:
    """Open complaints of the last `days` at the same outfall or within `radius_m`."""
    since = now - timedelta(days=days)
    conditions = []
    if lat is not None and lon is not None:
        dlat = radius_m / _M_PER_DEG_LAT
        dlon = radius_m / (_M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
        # A bounding box the lat/lon index can answer; the exact circle is checked below.
        conditions.append(
            Complaint.lat.between(lat - dlat, lat + dlat)
            & Complaint.lon.between(lon - dlon, lon + dlon)
        )
    if outfall_id is not None:
        conditions.append(Complaint.outfall_id == outfall_id)
    if not conditions:
        return []
    where = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    rows = db.session.scalars(
        select(Complaint)
        .where(where, Complaint.created_at >= since, Complaint.status.in_(list(OPEN_STATUSES)))
        .options(joinedload(Complaint.category), joinedload(Complaint.outfall))
        .order_by(Complaint.created_at.desc())
        .limit(200)
    ).all()
    found = []
    for c in rows:
        d = distance_m(lat, lon, c.lat, c.lon) if lat is not None and c.lat is not None else None
        if (outfall_id is not None and c.outfall_id == outfall_id) or (
            d is not None and d <= radius_m
        ):
            found.append(Nearby(c, d))
    found.sort(key=lambda n: (n.distance_m is None, n.distance_m or 0))
    return found[:limit]


def add_support(complaint: Complaint, fingerprint: str, now: datetime, secret: str) -> bool:
    """Count one "this affects me too" per browser; False if it was already counted."""
    digest = _salted(fingerprint, secret)
    exists = db.session.scalar(
        select(func.count())
        .select_from(Support)
        .where(Support.complaint_id == complaint.id, Support.fingerprint == digest)
    )
    if exists or not complaint.is_open:
        return False
    db.session.add(Support(complaint_id=complaint.id, fingerprint=digest, created_at=now))
    complaint.supporters = (complaint.supporters or 0) + 1
    append_event(complaint, "supported", now, actor_kind=ActorKind.system, public=True)
    return True


# --- The reporter's follow-ups -----------------------------------------------------------

RATEABLE = frozenset({ComplaintStatus.resolved, ComplaintStatus.closed})


def add_information(
    complaint: Complaint, message: str, photos: list[Photo], now: datetime, stores: Stores
) -> list[Staged]:
    """The reporter adds text or photos to an open case; a paused clock restarts.

    Raises:
        InputError: the case is no longer open.
    """
    if not complaint.is_open:
        raise InputError("message", _("This case is closed; you can rate or dispute the outcome."))
    to_status = (
        ComplaintStatus.in_progress
        if complaint.status is ComplaintStatus.awaiting_reporter
        else None
    )
    event = append_event(
        complaint,
        "reporter_info",
        now,
        actor_kind=ActorKind.reporter,
        message=message.strip(),
        public=False,
        to_status=to_status,
    )
    information_added.send(complaint, now=now, resumed=to_status is not None)
    return _stage_photos(complaint, photos, stores, event_id=event.id)


def rate(complaint: Complaint, rating: int, comment: str, now: datetime) -> None:
    """The reporter rates the outcome of a resolved or closed case, once.

    Raises:
        InputError: the case is not resolved or closed, or was already rated.
    """
    if complaint.status not in RATEABLE or complaint.rating is not None:
        raise InputError("rating", _("This case cannot be rated now."))
    complaint.rating = rating
    complaint.rating_comment = comment.strip()
    append_event(
        complaint,
        "rated",
        now,
        actor_kind=ActorKind.reporter,
        message=f"{rating}/5",
        public=False,
    )


def dispute(complaint: Complaint, reason: str, now: datetime) -> None:
    """The reporter says the problem is not solved: the case reopens.

    Raises:
        InputError: the case is not resolved or closed.
    """
    if complaint.status not in RATEABLE:
        raise InputError("reason", _("Only a resolved or closed case can be disputed."))
    complaint.closed_at = None
    append_event(
        complaint,
        "disputed",
        now,
        actor_kind=ActorKind.reporter,
        message=reason.strip(),
        public=False,
        to_status=ComplaintStatus.reopened,
    )
    complaint_reopened.send(complaint, now=now)
