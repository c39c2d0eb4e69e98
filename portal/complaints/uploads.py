"""Photo files of a report: read through the photo rules, staged, published after commit.

A submission writes its files under temporary names, commits, then publishes them: a crash
before the commit leaves only staged files, a crash after it leaves staged files of a
committed row. `cleanup_files` (cron) resolves both.
"""

import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO

from flask import current_app

from ..core.errors import UserError
from ..core.storage import FileStore, StagedFile
from ..extensions import db
from . import photos as photo_rules
from .models import Complaint, ComplaintPhoto


@dataclass
class Stores:
    """Where public copies (and thumbnails) and private originals go."""

    public: FileStore
    evidence: FileStore

    @classmethod
    def from_config(cls, config) -> "Stores":
        return cls(FileStore(config["UPLOAD_DIR"]), FileStore(config["EVIDENCE_DIR"]))


@dataclass
class PhotoLimits:
    max_photos: int = photo_rules.MAX_PHOTOS
    max_bytes: int = photo_rules.MAX_BYTES
    max_pixels: int = photo_rules.MAX_PIXELS

    @classmethod
    def from_config(cls, config) -> "PhotoLimits":
        return cls(
            config["COMPLAINT_MAX_PHOTOS"],
            config["COMPLAINT_PHOTO_MAX_BYTES"],
            config["COMPLAINT_PHOTO_MAX_PIXELS"],
        )


def configured_stores() -> Stores:
    return Stores.from_config(current_app.config)


def configured_limits() -> PhotoLimits:
    return PhotoLimits.from_config(current_app.config)


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


def read_photos(files: Iterable, limits: PhotoLimits) -> list[Photo]:
    """Decode and re-encode every uploaded photo; stop at the first bad one.

    Raises:
        UserError: too many photos, or one that is not an acceptable photo (field "photos").
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
        raise UserError(error.message, "photos") from error


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


def stage_photos(
    complaint: Complaint,
    photos: list[Photo],
    stores: Stores,
    staged: list[Staged],
    event_id: int | None = None,
) -> None:
    """Stage every file of every photo into `staged` and add their rows.

    Files are appended to `staged` as they are written, so a caller that fails later
    still knows every file to discard.
    """
    for photo in photos:
        stage_files(photo, stores, staged)
        complaint.photos.append(ComplaintPhoto(event_id=event_id, **photo_fields(photo)))


def photo_fields(photo: Photo) -> dict:
    """The columns a photo row (ComplaintPhoto, StagedUpload) keeps of a checked upload."""
    p = photo.processed
    gps = p.gps or (None, None)
    return {
        "public_sha256": p.public_sha256,
        "thumb_sha256": p.thumb_sha256,
        "original_sha256": p.original_sha256,
        "original_size": p.original_size,
        "original_format": p.original_format,
        "width": p.width,
        "height": p.height,
        "captured_at": p.captured_at,
        "gps_lat": gps[0],
        "gps_lon": gps[1],
    }


def stage_files(photo: Photo, stores: Stores, staged: list[Staged]) -> None:
    """Stage a photo's public copy, thumbnail and original, appending each to `staged`."""
    p = photo.processed
    for store, data in (
        (stores.public, p.public_jpeg),
        (stores.public, p.thumb_jpeg),
        (stores.evidence, photo.original),
    ):
        staged.append(Staged(store, store.stage(data)))


def publish(staged: Iterable[Staged]) -> None:
    """Make a committed change's files visible (cleanup_files() finishes any left)."""
    for item in staged:
        item.store.publish(item.file)


def discard(staged: Iterable[Staged]) -> None:
    """Remove the files of a change whose transaction failed."""
    for item in staged:
        item.store.discard([item.file])


def commit_then_publish(staged: list[Staged]) -> bool:
    """The unit of work of a change with files: commit, then publish its files.

    On a failed commit the session is rolled back and the staged files removed, so nothing
    of the change stays; returns False then (the caller says so to the person).
    """
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        discard(staged)
        current_app.logger.exception("commit failed; submission discarded")
        return False
    publish(staged)
    return True
