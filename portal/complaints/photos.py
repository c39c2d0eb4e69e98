"""Citizen photos: validate by content, keep private evidence, publish metadata-free copies."""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import IO, Any

import pillow_heif
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageCms

# Embedded HEIF thumbnails, depth maps and auxiliary images are never needed: decoding only the
# primary image is faster, exposes less of libheif, and a crafted file cannot make us publish a
# thumbnail that differs from the photo kept as evidence.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

MiB = 1024 * 1024
MAX_PHOTOS = 6
MAX_BYTES = 10 * MiB
MAX_PIXELS = 40_000_000
PUBLIC_MAX_SIDE = 2048
THUMB_SIDE = 320
PUBLIC_QUALITY = 82
# Progressive costs ~45 ms more per 12 Mpx photo than an optimised baseline JPEG (measured on a
# 2-core EPYC: ~100 ms vs ~70 ms for the whole photo) for a ~6% smaller file, and optimised
# Huffman tables another ~28 ms for ~8%. Three photos must fit a 400 ms submission budget
# (DESIGN §4), so the public copy is a plain baseline JPEG; callers may opt in to progressive.
PUBLIC_PROGRESSIVE = False
PUBLIC_OPTIMIZE = False
THUMB_QUALITY = 78

# China has not observed daylight saving since 1991, so a fixed UTC+8 is exactly Asia/Shanghai
# for any phone photo and needs no tz database on the server.
CHINA_TZ = timezone(timedelta(hours=8))

# JPEG DCT scaling may undershoot the public size by this much: 4000 px decodes at 1/2 to 2000 px
# instead of 4000 px then resized to 2048, which is most of the time budget for a phone photo.
_DRAFT_TOLERANCE = 0.9
_WHITE = (255, 255, 255)

# EXIF orientation -> the transpose that undoes it (same table as ImageOps.exif_transpose).
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_GENERIC_HEIF_BRANDS = {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_EXIF_DATETIME = re.compile(rb"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(rb"([+-])(\d{2}):(\d{2})")


class PhotoError(ValueError):
    """A photo was refused; `message` is shown to the citizen, `code` is for logs and tests."""

    def __init__(self, code: str, message: Any, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class ProcessedPhoto:
    """The private evidence about one upload and its public, metadata-free JPEG copies."""

    original_sha256: str
    original_size: int
    original_format: str
    width: int
    height: int
    captured_at: datetime | None
    gps: tuple[float, float] | None
    public_jpeg: bytes
    thumb_jpeg: bytes
    public_sha256: str
    thumb_sha256: str


def _too_large(max_bytes: int) -> PhotoError:
    return PhotoError(
        "too_large",
        _l("Each photo must be at most %(mb)s MB.", mb=f"{max_bytes / MiB:.3g}"),
        f"more than {max_bytes} bytes",
    )


def check_photo_count(count: int, *, max_photos: int = MAX_PHOTOS) -> None:
    """Refuse a complaint carrying more photos than allowed.

    Raises:
        PhotoError: code "too_many_photos".
    """
    if count > max_photos:
        raise PhotoError(
            "too_many_photos",
            _l("You can attach at most %(n)s photos.", n=max_photos),
            f"{count} photos",
        )


def read_limited(stream: IO[bytes], *, max_bytes: int = MAX_BYTES) -> bytes:
    """Read an upload stream without ever buffering more than max_bytes + 1 bytes.

    Raises:
        PhotoError: code "too_large".
    """
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def sniff_format(data: bytes) -> str:
    """Name the Pillow format of an accepted photo from its leading bytes alone.

    Raises:
        PhotoError: "empty", "unsupported_format" (a known image type we do not take) or
            "not_an_image".
    """
    head = bytes(data[:1024])
    if not head:
        raise PhotoError("empty", _l("The photo file is empty."))
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        box_end = min(int.from_bytes(head[:4], "big"), len(head))
        major = head[8:12]
        brands = {head[i : i + 4] for i in range(16, box_end - 3, 4)} | {major}
        # pillow-heif only recognises these major brands; AVIF shares "mif1" but libheif here
        # has no AV1 decoder, so call it unsupported rather than damaged.
        if major in _HEIF_BRANDS or (major in _GENERIC_HEIF_BRANDS and not brands & _AVIF_BRANDS):
            return "HEIF"
        if brands & (_AVIF_BRANDS | _HEIF_BRANDS):
            raise _unsupported("AVIF/HEIF variant")
        raise _not_an_image("ISO media that is not a still image")
    for magic, kind in _OTHER_IMAGE_MAGIC:
        if head.startswith(magic):
            raise _unsupported(kind)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<") and b"<svg" in text:
        raise _unsupported("SVG")
    raise _not_an_image("unknown signature")


# Image types people may pick that we refuse on purpose (by content, not by file name).
_OTHER_IMAGE_MAGIC = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"8BPS", "PSD"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
)


def _unsupported(kind: str) -> PhotoError:
    return PhotoError(
        "unsupported_format",
        _l("This image format is not accepted. Please send a JPEG, PNG, WebP or HEIC photo."),
        kind,
    )


def _not_an_image(detail: str) -> PhotoError:
    return PhotoError(
        "not_an_image",
        _l("This file is not a photo we can read (JPEG, PNG, WebP or HEIC)."),
        detail,
    )


def _damaged(exc: BaseException, fmt: str, data: bytes) -> PhotoError:
    text = str(exc)
    lowered = text.lower()
    if "decompressed data too large" in lowered:  # zlib bomb in a PNG text or profile chunk
        return _bomb(exc)
    if (
        isinstance(exc, EOFError)
        or "truncated" in lowered
        or "end of file" in lowered
        or "premature end" in lowered
        or _container_cut_short(fmt, data)
    ):
        return PhotoError(
            "truncated",
            _l("This photo is incomplete; the upload may have been cut off. Please try again."),
            f"{type(exc).__name__}: {text}",
        )
    return PhotoError(
        "corrupt",
        _l("This photo is damaged and cannot be read."),
        f"{type(exc).__name__}: {text}",
    )


def _container_cut_short(fmt: str, data: bytes) -> bool:
    """Whether a WebP or HEIF container declares more bytes than arrived (an interrupted upload)."""
    if fmt == "WEBP":
        return int.from_bytes(data[4:8], "little") + 8 > len(data)
    if fmt == "HEIF":
        # Walk the top-level ISO-BMFF boxes; libheif's own errors do not always say "truncated".
        pos = 0
        while pos + 8 <= len(data):
            size = int.from_bytes(data[pos : pos + 4], "big")
            if size == 1 and pos + 16 <= len(data):
                size = int.from_bytes(data[pos + 8 : pos + 16], "big")
            elif size == 0:  # the last box runs to the end of the file
                return False
            if size < 8:
                return False
            pos += size
        return pos != len(data)
    return False


def process_photo(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    public_max_side: int = PUBLIC_MAX_SIDE,
    thumb_side: int = THUMB_SIDE,
    progressive: bool = PUBLIC_PROGRESSIVE,
) -> ProcessedPhoto:
    """Validate one uploaded photo and derive its evidence and public copies.

    Raises:
        PhotoError: for anything that is not a readable photo within the limits.
    """
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    fmt = sniff_format(data)
    try:
        # Only the sniffed decoder may look at the bytes: no other Pillow plugin is exposed.
        im = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError as exc:
        raise _bomb(exc) from None
    except Exception as exc:  # any parser failure on hostile input means a bad file
        if isinstance(exc, Image.DecompressionBombWarning):  # raised when warnings are errors
            raise _bomb(exc) from None
        raise _damaged(exc, fmt, data) from None
    with im:
        width, height = im.size
        # The header alone gives the size: refuse before a single pixel is allocated.
        if width * height > max_pixels:
            raise PhotoError(
                "too_many_pixels",
                _l("Each photo may have at most %(mp)s megapixels.", mp=f"{max_pixels / 1e6:.3g}"),
                f"{width}x{height}",
            )
        if fmt == "JPEG":
            im.draft(None, _draft_size(width, height, public_max_side))
        try:
            im.load()
        except Exception as exc:  # as above: a decoder failing in any way means a bad file
            raise _damaged(exc, fmt, data) from None
        exif = _safe_exif(im)
        icc = im.info.get("icc_profile") or None
        orientation = exif.get(ExifTags.Base.Orientation)
        # Everything below must happen before the file closes: with no conversion needed, the
        # public image is the decoded file itself, and copying 3 Mpx costs ~10 ms per photo.
        public = _publishable(im, icc, public_max_side)
        transpose = _ORIENTATION.get(orientation) if isinstance(orientation, int) else None
        if transpose is not None:
            public = public.transpose(transpose)
            if transpose in _SWAPS_SIDES:
                width, height = height, width
        thumb = _fit(public, thumb_side, reducing_gap=2.0)
        # Optimised Huffman tables cost a second pass: 48 ms instead of 20 ms for a 3 Mpx
        # public copy, for a file 8% smaller. Thumbnails, shown in every list, keep them.
        public_jpeg = _encode_jpeg(
            public, PUBLIC_QUALITY, progressive=progressive, optimize=PUBLIC_OPTIMIZE
        )
        thumb_jpeg = _encode_jpeg(thumb, THUMB_QUALITY, progressive=False, optimize=True)
    return ProcessedPhoto(
        original_sha256=hashlib.sha256(data).hexdigest(),
        original_size=len(data),
        original_format=fmt,
        width=width,
        height=height,
        captured_at=read_capture_time(exif),
        gps=read_gps(exif),
        public_jpeg=public_jpeg,
        thumb_jpeg=thumb_jpeg,
        public_sha256=hashlib.sha256(public_jpeg).hexdigest(),
        thumb_sha256=hashlib.sha256(thumb_jpeg).hexdigest(),
    )


_SWAPS_SIDES = {
    Image.Transpose.TRANSPOSE,
    Image.Transpose.TRANSVERSE,
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_270,
}


def _bomb(exc: BaseException) -> PhotoError:
    return PhotoError(
        "bomb",
        _l("This image declares an impossibly large size and was refused."),
        str(exc),
    )


def _draft_size(width: int, height: int, public_max_side: int) -> tuple[int, int]:
    """Size to request from JPEG DCT scaling so the decode is as small as the public copy allows."""
    scale = 1
    while scale < 8 and max(width, height) / (scale * 2) >= public_max_side * _DRAFT_TOLERANCE:
        scale *= 2
    # Pillow picks the largest power of two not above min(w // req_w, h // req_h).
    return max(1, width // scale), max(1, height // scale)


def _safe_exif(im: Image.Image) -> Image.Exif:
    """EXIF of a decoded image, or an empty one: broken metadata must not reject a good photo."""
    try:
        exif = im.getexif()
        # Touch the sub-IFDs now so that a corrupt offset fails here, not in the readers.
        exif.get_ifd(ExifTags.IFD.Exif)
        exif.get_ifd(ExifTags.IFD.GPSInfo)
        return exif
    except Exception:  # includes Pillow's corrupt-EXIF warnings when warnings are errors
        return Image.Exif()


def _publishable(im: Image.Image, icc: bytes | None, max_side: int) -> Image.Image:
    """An sRGB RGB copy no larger than max_side, alpha flattened on white, with empty info."""
    if im.mode == "P" or im.mode == "PA":
        im = im.convert("RGBA" if "transparency" in im.info or im.mode == "PA" else "RGB")
    elif im.mode == "1":
        im = im.convert("L")
    elif im.mode.startswith("I"):
        # 16-bit greyscale PNG: scale to 8 bits instead of letting convert() clip it to white.
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif im.mode not in ("RGB", "L", "CMYK", "RGBA", "LA"):
        im = im.convert("RGBA" if "A" in im.mode else "RGB")
    # resize() premultiplies alpha itself, so shrinking before flattening is safe and cheap.
    im = _fit(im, max_side, reducing_gap=3.0)
    if im.mode in ("RGBA", "LA"):
        base = "RGB" if im.mode == "RGBA" else "L"
        flat = Image.new(base, im.size, _WHITE if base == "RGB" else 255)
        flat.paste(im, mask=im.getchannel("A"))
        im = flat
    im = _to_srgb(im, icc)
    # Pillow's JPEG writer falls back to im.info for the comment (and may for more one day):
    # the evidence was read already, so drop everything the decoder attached.
    im.info = {}
    return im


def _fit(im: Image.Image, side: int, *, reducing_gap: float) -> Image.Image:
    """The image shrunk (never enlarged) so that its longest side is at most side."""
    if max(im.size) <= side:
        return im
    ratio = side / max(im.size)
    size = (max(1, round(im.width * ratio)), max(1, round(im.height * ratio)))
    # reducing_gap lets Pillow box-reduce by an integer factor first, then resample the rest.
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert through the embedded colour profile to sRGB; without a usable one, assume sRGB."""
    transform = _srgb_transform(icc, im.mode) if icc else None
    if transform is None:
        return im if im.mode == "RGB" else im.convert("RGB")
    try:
        return ImageCms.applyTransform(im, transform)
    except (ImageCms.PyCMSError, ValueError, OSError):
        return im.convert("RGB")


@lru_cache(maxsize=32)
def _srgb_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """Build (once per distinct profile) the transform to sRGB, or None if not needed or broken."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in (ImageCms.getProfileDescription(profile) or "").lower():
            return None
        return ImageCms.buildTransform(
            profile, ImageCms.createProfile("sRGB"), mode, "RGB", ImageCms.Intent.PERCEPTUAL
        )
    except (ImageCms.PyCMSError, ValueError, OSError, TypeError):
        return None


def _encode_jpeg(im: Image.Image, quality: int, *, progressive: bool, optimize: bool) -> bytes:
    buf = io.BytesIO()
    # Only pixels are written: no exif, icc_profile, xmp or comment arguments, and info is empty.
    im.save(
        buf,
        "JPEG",
        quality=quality,
        progressive=progressive,
        optimize=optimize,
        subsampling="4:2:0",
    )
    return buf.getvalue()


def _ifd(exif: Mapping[int, Any], tag: int) -> Mapping[int, Any]:
    """A sub-IFD of EXIF as a mapping, from Image.Exif or from a plain nested dict."""
    try:
        if isinstance(exif, Image.Exif):
            return exif.get_ifd(tag)
        value = exif.get(tag)
        return value if isinstance(value, Mapping) else {}
    except Exception:  # unreadable metadata is absent metadata
        return {}


def _text(value: Any) -> bytes:
    if isinstance(value, str):
        value = value.encode("ascii", "ignore")
    if not isinstance(value, bytes | bytearray):
        return b""
    return bytes(value).strip(b"\x00 \t")


def read_capture_time(exif: Mapping[int, Any]) -> datetime | None:
    """When the photo was taken, as an aware datetime; Asia/Shanghai unless EXIF gives an offset."""
    sub = _ifd(exif, ExifTags.IFD.Exif)
    # DateTime (0x0132) is deliberately not used: editors rewrite it, so it is not capture time.
    for stamp_tag, offset_tag, subsec_tag in (
        (
            ExifTags.Base.DateTimeOriginal,
            ExifTags.Base.OffsetTimeOriginal,
            ExifTags.Base.SubsecTimeOriginal,
        ),
        (
            ExifTags.Base.DateTimeDigitized,
            ExifTags.Base.OffsetTimeDigitized,
            ExifTags.Base.SubsecTimeDigitized,
        ),
    ):
        match = _EXIF_DATETIME.match(_text(sub.get(stamp_tag)))
        if not match:
            continue
        try:
            naive = datetime(*(int(part) for part in match.groups()))
        except ValueError:  # "0000:00:00 00:00:00" and other impossible dates
            continue
        subsec = _text(sub.get(subsec_tag))
        if subsec.isdigit():
            naive = naive.replace(microsecond=int(subsec[:6].ljust(6, b"0")))
        return naive.replace(tzinfo=_offset(_text(sub.get(offset_tag))) or CHINA_TZ)
    return None


def parse_capture_time(stamp: str, offset: str = "") -> datetime | None:
    """An EXIF-style "YYYY:MM:DD HH:MM:SS" (and "+08:00" offset) sent as text, e.g. by the
    phone's EXIF reader, as an aware datetime; Asia/Shanghai without an offset."""
    match = _EXIF_DATETIME.fullmatch(_text(stamp)[:19])
    if not match or len(stamp or "") > 40:
        return None
    try:
        naive = datetime(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    return naive.replace(tzinfo=_offset(_text(offset)) or CHINA_TZ)


def _offset(text: bytes) -> timezone | None:
    match = _EXIF_OFFSET.fullmatch(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        return None
    return timezone(-delta if sign == b"-" else delta)


def read_gps(exif: Mapping[int, Any]) -> tuple[float, float] | None:
    """(lat, lon) in WGS84 decimal degrees from the EXIF GPS IFD; None if absent or implausible."""
    gps = _ifd(exif, ExifTags.IFD.GPSInfo)
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), b"NS")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), b"EW")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    # Phones without a fix write zeros; "Null Island" is never a real riverbank.
    if abs(lat) < 1e-6 and abs(lon) < 1e-6:
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(value: Any, ref_tag: Any, refs: bytes) -> float | None:
    """Signed degrees from an EXIF (deg, min, sec) rational triple and its reference letter."""
    # A missing reference is read as N/E, as most viewers do; a letter of the other axis is not.
    ref = _text(ref_tag).upper()[:1]
    if ref and ref not in refs:
        return None
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        return None
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(p) and p >= 0 for p in parts) or any(p >= 60 for p in parts[1:]):
        return None
    degrees = sum(part / 60**i for i, part in enumerate(parts))
    return -degrees if ref == refs[1:] else degrees
