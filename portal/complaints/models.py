"""Citizen complaints: the case, its confidential reporter, photos and public timeline."""

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import (
    Mapped,
    backref,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
    validates,
)

from .. import files
from ..agencies.models import Department
from ..core.clock import utcnow
from ..dbtypes import UTCDateTime, str_enum
from ..extensions import db
from ..outfalls.models import Outfall
from .categories import ACCEPT_WORKDAYS, COMPLETE_WORKDAYS


class ComplaintCategory(db.Model):
    """A kind of problem citizens can report; rows, so the coordinator can change them."""

    __tablename__ = "complaint_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Service levels in working days; the defaults are defined in categories.py.
    accept_workdays: Mapped[int] = mapped_column(Integer, default=ACCEPT_WORKDAYS)
    complete_workdays: Mapped[int] = mapped_column(Integer, default=COMPLETE_WORKDAYS)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ComplaintStatus(enum.StrEnum):
    """Where a case stands; the queue module owns the transitions between them."""

    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"
    transferred = "transferred"
    in_progress = "in_progress"
    awaiting_reporter = "awaiting_reporter"
    resolved = "resolved"
    closed = "closed"
    reopened = "reopened"
    merged = "merged"


OPEN_STATUSES = frozenset(
    {
        ComplaintStatus.submitted,
        ComplaintStatus.accepted,
        ComplaintStatus.transferred,
        ComplaintStatus.in_progress,
        ComplaintStatus.awaiting_reporter,
        ComplaintStatus.reopened,
    }
)


class Channel(enum.StrEnum):
    """How a report reached the portal (labels.CHANNEL gives each its two languages)."""

    web = "web"  # the public report form
    phone_12369 = "phone_12369"  # the environment hotline 12369, entered by staff
    hotline_12345 = "hotline_12345"  # a work order transferred from the 12345 hotline
    letter = "letter"
    in_person = "in_person"
    wechat = "wechat"  # a message to the bureau's WeChat account
    open311 = "open311"


# Channels a staff member enters by hand (the others file themselves).
STAFF_CHANNELS = (
    Channel.phone_12369,
    Channel.hotline_12345,
    Channel.letter,
    Channel.in_person,
    Channel.wechat,
)


class LocationSource(enum.StrEnum):
    pin = "pin"  # placed on the map or typed
    device = "device"  # the phone's geolocation
    photo = "photo"  # EXIF GPS of an uploaded photo
    outfall = "outfall"  # the linked outfall's position


def map_cells(lat: float, lon: float) -> tuple[int, int]:
    """The map grid cells of a point: 1° and 0.1° squares, numbered from (-90, -180).

    The complaints layer of the map reads a viewport cell by cell through these indexed
    numbers instead of a lat/lon range (whose index narrows only the latitude).
    """
    return (
        int((lat + 90) // 1) * 360 + int((lon + 180) // 1),
        int((lat + 90) * 10 // 1) * 3600 + int((lon + 180) * 10 // 1),
    )


class Complaint(db.Model):
    """A citizen's report. Public fields only; who reported it lives in Reporter."""

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_lat_lon", "lat", "lon"),
        Index("ix_complaints_outfall_created", "outfall_id", "created_at"),
        Index("ix_complaints_status_created", "status", "created_at"),
        # The agency queue: a department's open cases (or those in one state), soonest
        # deadline first; the coordinator's view of every open case.
        Index("ix_complaints_open_queue", "department_id", "is_open", "complete_due_at", "id"),
        Index("ix_complaints_queue", "department_id", "status", "complete_due_at", "id"),
        Index("ix_complaints_open_due", "is_open", "complete_due_at", "id"),
        # Covers the coordinator's workload counts per department without the table.
        Index(
            "ix_complaints_open_workload",
            "is_open",
            "department_id",
            "paused_at",
            "complete_due_at",
            "escalated_at",
        ),
        Index("ix_complaints_status_due", "status", "complete_due_at", "id"),
        Index("ix_complaints_category_due", "category_id", "complete_due_at"),
        Index("ix_complaints_region_due", "region_id", "complete_due_at"),
        # The public record (/complaints/): newest first, keyset on (created_at, id), one
        # index per filter so any one of them stays an index range scan at 1M rows.
        Index("ix_complaints_created_id", "created_at", "id"),
        Index("ix_complaints_category_created", "category_id", "created_at", "id"),
        Index("ix_complaints_department_created", "department_id", "created_at", "id"),
        Index("ix_complaints_region_created", "region_id", "created_at", "id"),
        Index("ix_complaints_water_created", "water_body_id", "created_at", "id"),
        # The map layer: a viewport's cells, newest first in each; lat/lon in the index so
        # the points outside the viewport are skipped without reading the table.
        Index("ix_complaints_cell1_created", "cell_1", "created_at", "id", "lat", "lon"),
        Index("ix_complaints_cell01_created", "cell_01", "created_at", "id", "lat", "lon"),
        # The queue sorted by receipt (a department's open cases; the coordinator's).
        Index("ix_complaints_open_received", "department_id", "is_open", "created_at", "id"),
        Index("ix_complaints_open_created", "is_open", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_no: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    # The private link's token is HMAC(SECRET_KEY, nonce): the database alone cannot
    # rebuild it, the lookup form (tracking number + contact) can. Found by its hash.
    token_nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("complaint_categories.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    outfall_id: Mapped[Optional[int]] = mapped_column(ForeignKey("outfalls.id"))
    # Where the problem is, as precise as given; published only rounded (~100 m).
    lat: Mapped[Optional[float]] = mapped_column(Float)
    lon: Mapped[Optional[float]] = mapped_column(Float)
    # map_cells(lat, lon), kept by _place (below).
    cell_1: Mapped[Optional[int]] = mapped_column(Integer)
    cell_01: Mapped[Optional[int]] = mapped_column(Integer)
    location_source: Mapped[Optional[LocationSource]] = mapped_column(str_enum(LocationSource, 8))
    status: Mapped[ComplaintStatus] = mapped_column(
        str_enum(ComplaintStatus, 20), default=ComplaintStatus.submitted
    )
    # Derived from status (see _track_open), stored so open cases have indexes of their own.
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.web.value)
    # The 12345 hotline's work order number (工单号) of a case transferred from it.
    hotline_order_no: Mapped[str] = mapped_column(String(40), default="")
    consent_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    # When the report was received, whatever the channel (a phone call's time, a letter's
    # arrival): the deadlines, the public dates and the monthly figures count from it.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    rating: Mapped[Optional[int]] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(Text, default="")

    # Handling, set by the queue. No department means the coordinator's triage list.
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    region_id: Mapped[Optional[int]] = mapped_column(ForeignKey("regions.id"))
    # The linked outfall's receiving water, copied at intake so the public list filters on it.
    water_body_id: Mapped[Optional[int]] = mapped_column(ForeignKey("water_bodies.id"))
    routing_rule_id: Mapped[Optional[int]] = mapped_column(Integer)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The acceptance clock runs from receipt, or from the last transfer.
    accept_clock_from: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    accept_due_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    complete_due_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Working days from receipt to resolution, set when resolved (the department figures).
    completion_workdays: Mapped[Optional[int]] = mapped_column(Integer)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    # When the clock stopped to wait for the reporter (None: running).
    paused_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    warned_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    escalated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("complaints.id"))

    category: Mapped[ComplaintCategory] = relationship()
    outfall: Mapped[Optional[Outfall]] = relationship()
    department: Mapped[Optional[Department]] = relationship()
    merged_into: Mapped[Optional["Complaint"]] = relationship(remote_side=[id])
    photos: Mapped[list["ComplaintPhoto"]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="ComplaintPhoto.id"
    )
    events: Mapped[list["ComplaintEvent"]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="ComplaintEvent.id"
    )

    @validates("lat", "lon")
    def _place(self, key: str, value: float | None) -> float | None:
        """Keep the map cells in step with the point."""
        lat, lon = (value, self.lon) if key == "lat" else (self.lat, value)
        self.cell_1, self.cell_01 = map_cells(lat, lon) if None not in (lat, lon) else (None, None)
        return value

    @validates("channel")
    def _known_channel(self, _key: str, value: str) -> str:
        """Only the channels of the Channel enum (a typo is an error, not a new channel)."""
        return Channel(value).value

    @validates("status")
    def _track_open(self, _key: str, value: ComplaintStatus) -> ComplaintStatus:
        """Keep `is_open` in step with the status: the queue's indexes are built on it."""
        self.is_open = ComplaintStatus(value) in OPEN_STATUSES
        return value

    def is_overdue(self, now: datetime) -> bool:
        """Open and past its completion deadline (or, not yet accepted, its acceptance one)."""
        if not self.is_open or self.paused_at is not None:
            return False
        if self.accepted_at is None and self.accept_due_at is not None and self.accept_due_at < now:
            return True
        return self.complete_due_at is not None and self.complete_due_at < now

    @property
    def public_point(self) -> tuple[float, float] | None:
        """The location rounded to three decimals (~110 m), safe to publish."""
        if self.lat is None or self.lon is None:
            return None
        return round(self.lat, 3), round(self.lon, 3)


def case_page_loads() -> tuple:
    """Loader options for a page showing one whole case (tracking page, staff case page)."""
    return (
        joinedload(Complaint.category),
        joinedload(Complaint.outfall),
        joinedload(Complaint.department),
        selectinload(Complaint.photos),
        selectinload(Complaint.events),
    )


class Reporter(db.Model):
    """Who reported a complaint. Confidential: never on a public page or to the reported."""

    __tablename__ = "complaint_reporters"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(32), default="", index=True)
    email: Mapped[str] = mapped_column(String(200), default="", index=True)
    # Salted hash of the submitting IP, for abuse handling without keeping the address.
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    # The language the report was made in: updates are written in it.
    locale: Mapped[str] = mapped_column(String(8), default="zh")

    complaint: Mapped[Complaint] = relationship()


class ComplaintPhoto(db.Model):
    """A photo: the public re-encoded copy and thumbnail, and the original as evidence."""

    __tablename__ = "complaint_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    # Set when a photo was added later as extra information (an event), else None.
    event_id: Mapped[Optional[int]] = mapped_column(ForeignKey("complaint_events.id"))
    public_sha256: Mapped[str] = mapped_column(String(64), index=True)
    thumb_sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_size: Mapped[int] = mapped_column(Integer)
    original_format: Mapped[str] = mapped_column(String(8))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Evidence, private: when and where the original says it was taken.
    captured_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    gps_lat: Mapped[Optional[float]] = mapped_column(Float)
    gps_lon: Mapped[Optional[float]] = mapped_column(Float)
    # What the phone read from the original before shrinking it (the browser's EXIF
    # reader): the citizen's device says so, the server did not see it in the file.
    device_captured_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    device_lat: Mapped[Optional[float]] = mapped_column(Float)
    device_lon: Mapped[Optional[float]] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="photos")

    @property
    def where_taken(self) -> tuple[float, float] | None:
        """Where the photo says it was taken: the file's GPS, else what the device read."""
        return where_taken(self)


def where_taken(photo) -> tuple[float, float] | None:
    """A photo row's point: the file's EXIF GPS, else the one the phone read before upload."""
    if photo.gps_lat is not None and photo.gps_lon is not None:
        return photo.gps_lat, photo.gps_lon
    if photo.device_lat is not None and photo.device_lon is not None:
        return photo.device_lat, photo.device_lon
    return None


class ActorKind(enum.StrEnum):
    reporter = "reporter"
    staff = "staff"
    system = "system"


class EventKind(enum.StrEnum):
    """What an entry of a case's history records. The values are hash-chained forever:
    add members, never rename one (labels.EVENT_KIND gives each its two languages)."""

    # The reporter and the public.
    submitted = "submitted"
    supported = "supported"
    reporter_info = "reporter_info"
    rated = "rated"
    disputed = "disputed"
    # Placement.
    routed = "routed"
    triage = "triage"
    # Workflow actions (the values of queue.states.Action that reach the history).
    accept = "accept"
    reject = "reject"
    transfer = "transfer"
    start = "start"
    ask_reporter = "ask_reporter"
    resolve = "resolve"
    close = "close"
    auto_closed = "auto_closed"
    reopen = "reopen"
    merge = "merge"
    merged_in = "merged_in"
    # Words and access.
    reply = "reply"
    note = "note"
    assist_note = "assist_note"
    identity_viewed = "identity_viewed"
    hotline_order = "hotline_order"  # marked as transferred from a 12345 work order
    # Time.
    extension_requested = "extension_requested"
    extension_approved = "extension_approved"
    extension_refused = "extension_refused"
    warned = "warned"
    escalated = "escalated"


class ComplaintEvent(db.Model):
    """One entry of a case's history; append-only, each row hashed onto the previous one."""

    __tablename__ = "complaint_events"
    __table_args__ = (UniqueConstraint("complaint_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, 16))
    actor_id: Mapped[Optional[int]] = mapped_column(Integer)
    from_status: Mapped[Optional[str]] = mapped_column(String(20))
    to_status: Mapped[Optional[str]] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))

    complaint: Mapped[Complaint] = relationship(back_populates="events")


class Support(db.Model):
    """ "This affects me too" from another citizen, instead of a duplicate complaint."""

    __tablename__ = "complaint_supports"
    __table_args__ = (
        UniqueConstraint("complaint_id", "fingerprint"),
        Index("ix_complaint_supports_complaint_address_day", "complaint_id", "address_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    # Salted hash of the browser's session id: one "me too" per browser session.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Salted hash of the address and the day: one per address per case per day, whatever
    # User-Agent or cookies it sends. No address is kept.
    address_day: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StagedUpload(db.Model):
    """A photo uploaded while the citizen is still filling in the form, before the report.

    Decoded, checked and re-encoded like any photo; its files are stored but no page
    serves them to anyone but the form that holds the token (never public). The report's
    submit turns the row into a ComplaintPhoto; unclaimed rows expire and cleanup-files
    removes them, and with them their files.
    """

    __tablename__ = "complaint_staged_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The bearer token the page keeps for this photo; only the form it was made for may
    # use it (form_key).
    token: Mapped[str] = mapped_column(String(48), unique=True)
    form_key: Mapped[str] = mapped_column(String(64), index=True)
    public_sha256: Mapped[str] = mapped_column(String(64), index=True)
    thumb_sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_size: Mapped[int] = mapped_column(Integer)
    original_format: Mapped[str] = mapped_column(String(8))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    captured_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    gps_lat: Mapped[Optional[float]] = mapped_column(Float)
    gps_lon: Mapped[Optional[float]] = mapped_column(Float)
    device_captured_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    device_lat: Mapped[Optional[float]] = mapped_column(Float)
    device_lon: Mapped[Optional[float]] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    @property
    def where_taken(self) -> tuple[float, float] | None:
        """The file's GPS, else what the device read."""
        return where_taken(self)


class SubmissionKey(db.Model):
    """The idempotency key of a report form: one complaint per key, whatever the retries.

    The primary key makes a concurrent second insert fail in the database (no
    check-then-insert race); the intake then answers with the complaint that won.
    """

    __tablename__ = "complaint_submission_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    complaint: Mapped[Complaint] = relationship()


class LocationCheck(db.Model):
    """A photo taken far from the linked outfall: both points, the distance, the choice.

    Kept for the staff handling the case (the public never sees it): the citizen was
    asked which place is right, and the case's own point is the one they chose.
    """

    __tablename__ = "complaint_location_checks"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    outfall_lat: Mapped[float] = mapped_column(Float)
    outfall_lon: Mapped[float] = mapped_column(Float)
    photo_lat: Mapped[float] = mapped_column(Float)
    photo_lon: Mapped[float] = mapped_column(Float)
    # "device" (read by the phone before upload) or "file" (the photo's EXIF).
    photo_source: Mapped[str] = mapped_column(String(8))
    distance_m: Mapped[float] = mapped_column(Float)
    # "photo" or "outfall": which place the citizen said is right.
    chosen: Mapped[str] = mapped_column(String(8))

    complaint: Mapped[Complaint] = relationship(
        backref=backref("location_check", uselist=False, cascade="all, delete-orphan")
    )


# Files these rows keep: public copies and thumbnails, and the originals kept as evidence.
# A staged upload keeps its files until it is claimed (then its photo row does) or expires.
files.register(
    "UPLOAD_DIR",
    ComplaintPhoto.public_sha256,
    ComplaintPhoto.thumb_sha256,
    StagedUpload.public_sha256,
    StagedUpload.thumb_sha256,
)
files.register("EVIDENCE_DIR", ComplaintPhoto.original_sha256, StagedUpload.original_sha256)
