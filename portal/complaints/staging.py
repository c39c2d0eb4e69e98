"""Staged uploads: photos sent one by one as soon as they are picked, before the report.

On a weak signal a photo takes a minute to send; sent while the citizen types, it is
there when the report goes, and a refusal, a reload or a dropped connection never asks
for it again. Each upload goes through the same photo pipeline as any other (decoded,
checked, re-encoded: the browser is never trusted), its files are stored, and a row ties
them to the form's key with a token the page keeps. The report's submit carries tokens,
not bytes (`claim`). Nothing serves a staged photo but its own form (`for_form`), so it
is never public before the report is filed; unclaimed rows expire and `cleanup-files`
deletes them (`expire`), after which their files are no longer referenced and go too.
"""

import math
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..core.errors import UserError
from ..extensions import db
from .models import ComplaintPhoto, StagedUpload
from .photos import parse_capture_time
from .tokens import form_key_valid
from .uploads import (
    Photo,
    Staged,
    Stores,
    configured_limits,
    discard,
    photo_fields,
    read_photos,
    stage_files,
)

# How many photos one form may stage (a citizen may swap photos before sending).
STAGED_PER_PHOTO_SLOT = 3


@dataclass(frozen=True)
class DeviceMetadata:
    """What the phone read from the original photo before shrinking it: not verified,
    recorded as "from the device"."""

    captured_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None

    @classmethod
    def parse(
        cls, captured: str | None, offset: str | None, lat: str | None, lon: str | None
    ) -> "DeviceMetadata":
        """From the upload's text fields; anything unreadable is simply not recorded."""
        point = _point(lat, lon)
        return cls(
            captured_at=parse_capture_time(captured or "", offset or "") if captured else None,
            lat=point[0] if point else None,
            lon=point[1] if point else None,
        )


def _point(lat: str | None, lon: str | None) -> tuple[float, float] | None:
    try:
        if not lat or not lon or len(lat) > 32 or len(lon) > 32:
            return None
        la, lo = float(lat), float(lon)
    except ValueError:
        return None
    if not (math.isfinite(la) and math.isfinite(lo)) or abs(la) > 90 or abs(lo) > 180:
        return None
    if abs(la) < 1e-6 and abs(lo) < 1e-6:  # a phone without a fix writes zeros
        return None
    return round(la, 7), round(lo, 7)


def check_form_key(form_key: str) -> None:
    """Raises:
    UserError: the key was not issued by this portal (field "photos")."""
    if not form_key_valid(form_key, current_app.config["SECRET_KEY"]):
        raise UserError(
            _("This report form has expired. Reload the page and add the photo again."),
            "photos",
        )


def stage_uploads(
    form_key: str,
    files: Sequence,
    devices: Sequence[DeviceMetadata] | None,
    now: datetime,
    stores: Stores,
) -> tuple[list[StagedUpload], list[Staged]]:
    """Check uploaded photos and stage them for this form (flushes; the caller commits
    with uploads.commit_then_publish). On any refusal nothing stays, no file either.

    Raises:
        UserError: a bad photo, a form key not issued here, too many photos (field "photos").
    """
    check_form_key(form_key)
    photos = read_photos(files, configured_limits())
    devices = list(devices or [])
    staged: list[Staged] = []
    try:
        rows = [
            stage(
                form_key,
                photo,
                devices[i] if i < len(devices) else DeviceMetadata(),
                now,
                stores,
                staged,
            )
            for i, photo in enumerate(photos)
        ]
    except BaseException:
        db.session.rollback()
        discard(staged)
        raise
    return rows, staged


def stage(
    form_key: str,
    photo: Photo,
    device: DeviceMetadata,
    now: datetime,
    stores: Stores,
    staged: list[Staged],
) -> StagedUpload:
    """Store a checked photo's files (staged, see uploads) and its row; flushes only.

    Raises:
        UserError: a form key not issued here, or too many photos staged for one form.
    """
    check_form_key(form_key)
    limit = current_app.config["COMPLAINT_MAX_PHOTOS"] * STAGED_PER_PHOTO_SLOT
    held = db.session.scalar(
        select(func.count())
        .select_from(StagedUpload)
        .where(StagedUpload.form_key == form_key, StagedUpload.expires_at > now)
    )
    if held >= limit:
        raise UserError(
            _("You can attach at most %(n)s photos.", n=current_app.config["COMPLAINT_MAX_PHOTOS"]),
            "photos",
        )
    stage_files(photo, stores, staged)
    row = StagedUpload(
        token=secrets.token_urlsafe(24),
        form_key=form_key,
        **photo_fields(photo),
        device_captured_at=device.captured_at,
        device_lat=device.lat,
        device_lon=device.lon,
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["COMPLAINT_STAGED_UPLOAD_HOURS"]),
    )
    db.session.add(row)
    db.session.flush()
    return row


def for_form(form_key: str, tokens: Iterable[str], now: datetime) -> list[StagedUpload]:
    """The usable staged uploads of this form among `tokens`, in their order (no errors)."""
    wanted = _unique(tokens)
    if not wanted or not form_key:
        return []
    rows = {
        r.token: r
        for r in db.session.scalars(
            select(StagedUpload).where(
                StagedUpload.token.in_(wanted),
                StagedUpload.form_key == form_key,
                StagedUpload.expires_at > now,
            )
        )
    }
    return [rows[t] for t in wanted if t in rows]


def find(form_key: str, token: str, now: datetime) -> StagedUpload | None:
    """One usable staged upload of this form (for its thumbnail), or None."""
    found = for_form(form_key, [token], now)
    return found[0] if found else None


def claim(form_key: str, tokens: Sequence[str], now: datetime) -> list[StagedUpload]:
    """The staged uploads a report's submit names, checked: this form's, not expired.

    Raises:
        UserError: a token of another form (or none known), or an expired one (field
            "photos"); the message says to add that photo again.
    """
    wanted = _unique(tokens)
    if not wanted:
        return []
    rows = {
        r.token: r
        for r in db.session.scalars(select(StagedUpload).where(StagedUpload.token.in_(wanted)))
    }
    for token in wanted:
        row = rows.get(token)
        if row is None or row.form_key != form_key:
            raise UserError(
                _(
                    "A photo added earlier belongs to another report form or no longer "
                    "exists. Add it again here."
                ),
                "photos",
            )
        if row.expires_at <= now:
            raise UserError(
                _(
                    "A photo you added earlier has expired (photos are kept for %(hours)s "
                    "hours). Add it again.",
                    hours=current_app.config["COMPLAINT_STAGED_UPLOAD_HOURS"],
                ),
                "photos",
            )
    return [rows[t] for t in wanted]


def to_photo(row: StagedUpload, event_id: int | None = None) -> ComplaintPhoto:
    """The case's photo row for a claimed staged upload: the same files, no copy."""
    return ComplaintPhoto(event_id=event_id, **{name: getattr(row, name) for name in _COPIED})


# What a claimed staged upload hands to its photo row: the pipeline's and the device's word.
_COPIED = (
    "public_sha256",
    "thumb_sha256",
    "original_sha256",
    "original_size",
    "original_format",
    "width",
    "height",
    "captured_at",
    "gps_lat",
    "gps_lon",
    "device_captured_at",
    "device_lat",
    "device_lon",
)


def consume(rows: Sequence[StagedUpload]) -> None:
    """Remove claimed rows in the report's transaction (their photo rows keep the files)."""
    if rows:
        db.session.execute(
            delete(StagedUpload)
            .where(StagedUpload.id.in_([r.id for r in rows]))
            .execution_options(synchronize_session=False)
        )
        for row in rows:
            if row in db.session:
                db.session.expunge(row)


def expire(now: datetime, grace_seconds: float) -> int:
    """Delete staged uploads expired more than `grace_seconds` ago; flushes, returns count.

    The grace keeps a row whose submit checked it just before its expiry until that
    transaction is long over; only then do its files lose their last reference.
    """
    result = db.session.execute(
        delete(StagedUpload).where(StagedUpload.expires_at < now - timedelta(seconds=grace_seconds))
    )
    return result.rowcount or 0


def _unique(tokens: Iterable[str]) -> list[str]:
    """Distinct, plausible tokens in their order (a repeated token is one photo)."""
    seen: dict[str, None] = {}
    for token in tokens:
        token = (token or "").strip()
        if token and len(token) <= 48:
            seen.setdefault(token, None)
    return list(seen)
