"""Evidence files of a plan: PDFs checked before they are kept, photos re-encoded.

PDFs: the approvals' PDF check of the ledger issue was not on main when this was written, so
this module checks for itself: the %PDF header and %%EOF trailer, a size limit, no encryption,
no JavaScript, launch actions or embedded files (a scan of the bytes, which also catches them
in uncompressed object streams), and, where pypdf is installed, that pypdf can read the pages
and finds no encryption. Photos go through the complaints' photo pipeline: only the public
JPEG (no EXIF, no GPS) is kept.
"""

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from ..complaints.photos import PhotoError, process_photo
from ..core.errors import UserError
from ..core.storage import FileStore
from .models import DocumentKind

MiB = 1024 * 1024
_FORBIDDEN = re.compile(rb"/(Encrypt|JavaScript|JS|Launch|EmbeddedFile|EmbeddedFiles|XFA)\b")
_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)


@dataclass(frozen=True)
class Upload:
    """A checked file ready to store."""

    kind: DocumentKind
    data: bytes
    filename: str
    content_type: str


def _read(file: FileStorage, limit: int, field: str) -> bytes:
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise UserError(
            _l("Each file may be at most %(mb)s MB.", mb=f"{limit / MiB:.3g}"), field=field
        )
    if not data:
        raise UserError(_l("The file is empty."), field=field)
    return data


def check_pdf(data: bytes, field: str) -> None:
    """Refuse what is not a plain, readable, unencrypted PDF without active content."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise UserError(_l("This file is not a PDF."), field=field)
    if _FORBIDDEN.search(data):
        raise UserError(
            _l("PDFs that are encrypted or carry scripts or embedded files are not accepted."),
            field=field,
        )
    try:
        import pypdf
    except ImportError:  # pypdf is a development dependency; the byte checks stand alone
        return
    import io

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted or len(reader.pages) < 1:
            raise ValueError("encrypted or empty")
    except Exception:  # any parser failure on an uploaded file means a bad file
        raise UserError(_l("This PDF cannot be read."), field=field) from None


def safe_filename(name: str, default: str) -> str:
    stem = _SAFE_NAME.sub("_", (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip("._")
    return (stem or default)[:120]


def checked_upload(file: FileStorage, field: str) -> Upload:
    """A PDF or a photo from a form field, checked; raises UserError next to `field`."""
    limit = current_app.config["REMEDIATION_MAX_FILE_BYTES"]
    data = _read(file, limit, field)
    if data.startswith(b"%PDF-"):
        check_pdf(data, field)
        name = safe_filename(file.filename or "", "document.pdf")
        if not name.lower().endswith(".pdf"):
            name += ".pdf"
        return Upload(DocumentKind.pdf, data, name, "application/pdf")
    try:
        photo = process_photo(data, max_bytes=limit)
    except PhotoError as error:
        raise UserError(
            _l("Upload a PDF or a photo. %(detail)s", detail=error.message), field=field
        ) from None
    stem = safe_filename(file.filename or "", "photo").rsplit(".", 1)[0]
    return Upload(DocumentKind.photo, photo.public_jpeg, f"{stem}.jpg", "image/jpeg")


def store(upload: Upload) -> str:
    """Write the file content-addressed under UPLOAD_DIR; its digest."""
    return FileStore(current_app.config["UPLOAD_DIR"]).put(upload.data)
