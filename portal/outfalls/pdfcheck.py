"""What an approval document must be before it is published: a plain PDF, nothing active.

Documents are published to everyone, so a file that could run something in a reader is
refused, not cleaned: not a PDF, encrypted (nobody could check it, and the public could not
read it), JavaScript (/JS, /JavaScript, an /OpenAction or /AA that runs an action), launch
actions, XFA forms (they carry scripts), embedded files (/EmbeddedFiles, /EmbeddedFile,
/FileAttachment annotations), or over the size limit. The structure is parsed with pypdf
and walked from the trailer, so names hidden in object streams or written with #xx escapes
are seen as a reader would see them. No Flask app or database needed.
"""

import logging
from io import BytesIO

from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from ..core.errors import UserError

# Keys whose mere presence makes a document active or a carrier of other files.
ACTIVE_KEYS = {
    "/JS": "javascript",
    "/JavaScript": "javascript",
    "/AA": "javascript",
    "/EmbeddedFiles": "embedded",
    "/EmbeddedFile": "embedded",
    "/XFA": "javascript",
    "/RichMedia": "embedded",
}
# Name values that mark an action or annotation of the same kinds (/S /JavaScript, ...).
ACTIVE_NAMES = {
    "/JavaScript": "javascript",
    "/Launch": "javascript",
    "/FileAttachment": "embedded",
    "/EmbeddedFile": "embedded",
}
# A walk never visits more objects than this (a file built to exhaust the walk is refused).
MAX_OBJECTS = 200_000

MESSAGES = {
    "not_pdf": _l("This file is not a PDF document. Upload the decision as a PDF."),
    "damaged": _l("This PDF cannot be read (it is damaged or incomplete)."),
    "encrypted": _l(
        "This PDF is encrypted or password-protected. Upload a copy without a password."
    ),
    "javascript": _l(
        "This PDF contains JavaScript or automatic actions and cannot be published. "
        "Print it to a new PDF and upload that."
    ),
    "embedded": _l(
        "This PDF contains embedded files or attachments and cannot be published. "
        "Upload each document as its own PDF."
    ),
    "too_large": _l("This PDF is %(size)s MB; documents may be at most %(limit)s MB."),
    "empty": _l("This file is empty."),
    "too_complex": _l("This PDF has too many objects to be checked."),
}

# pypdf logs every repair it makes of a sloppy file; a refusal says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class PdfRefused(UserError):
    """A refusal with its reason code (the message is translated)."""

    def __init__(self, reason: str, field: str | None = None, **values):
        message = MESSAGES[reason] % values if values else MESSAGES[reason]
        super().__init__(message, field)
        self.reason = reason


def check_pdf(data: bytes, max_bytes: int, field: str | None = None) -> int:
    """Check one upload; return its page count.

    Raises:
        PdfRefused: the file is empty, too large, not a PDF, damaged, encrypted, or carries
            JavaScript, automatic actions or embedded files.
    """
    if not data:
        raise PdfRefused("empty", field)
    if len(data) > max_bytes:
        raise PdfRefused(
            "too_large",
            field,
            size=f"{len(data) / 1024 / 1024:.3g}",
            limit=f"{round(max_bytes / 1024 / 1024, 3):g}",
        )
    # The header must be in the first 1024 bytes (ISO 32000-1, 7.5.2).
    if b"%PDF-" not in data[:1024]:
        raise PdfRefused("not_pdf", field)
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PdfRefused("encrypted", field)
        _walk(reader.trailer, field)
        pages = len(reader.pages)
    except PdfRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise PdfRefused("damaged", field) from exc
    if pages == 0:
        raise PdfRefused("damaged", field)
    return pages


def _walk(root, field: str | None) -> None:
    """Visit every object reachable from `root` (iteratively), refusing active content."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise PdfRefused("too_complex", field)
        if isinstance(obj, DictionaryObject):  # streams are dictionaries too
            for key, value in obj.items():
                if key in ACTIVE_KEYS:
                    raise PdfRefused(ACTIVE_KEYS[key], field)
                # An /OpenAction or any other action is walked like the rest: its /S
                # /JavaScript or /Launch, or its /JS, refuses the file.
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
        elif isinstance(obj, NameObject) and str(obj) in ACTIVE_NAMES:
            raise PdfRefused(ACTIVE_NAMES[str(obj)], field)
