"""Photo intake: content sniffing, limits, evidence extraction and metadata-free public copies."""

import hashlib
import io
import struct
import warnings
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import Babel
from PIL import ExifTags, Image, ImageCms, ImageFile
from PIL.TiffImagePlugin import IFDRational

from portal.complaints import photos
from portal.complaints.photos import PhotoError, process_photo, read_capture_time, read_gps
from tests.images import photo_like_jpeg

QINZHOU = ((21.0, 40.0, 48.0), (108.0, 36.0, 36.0))  # 21.68°N 108.61°E


def _encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def _marked(size=(64, 48)) -> Image.Image:
    """Blue image with a red square in the top-left corner of the stored pixels."""
    im = Image.new("RGB", size, (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, size[0] // 4, size[1] // 3))
    return im


def _exif(orientation=None, taken=None, offset=None, gps=QINZHOU, refs=("N", "E")) -> Image.Exif:
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {
                ExifTags.GPS.GPSLatitudeRef: refs[0],
                ExifTags.GPS.GPSLatitude: gps[0],
                ExifTags.GPS.GPSLongitudeRef: refs[1],
                ExifTags.GPS.GPSLongitude: gps[1],
            }
        )
    return exif


def _jpeg_segments(data: bytes) -> list[int]:
    """Markers of the JPEG header segments before the first scan."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while True:
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: no more metadata segments follow it
            return markers
        markers.append(marker)
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]


def assert_no_metadata(jpeg: bytes) -> None:
    with Image.open(io.BytesIO(jpeg)) as im:
        assert im.format == "JPEG"
        assert len(im.getexif()) == 0
        for key in ("exif", "xmp", "comment", "icc_profile", "photoshop"):
            assert key not in im.info, key
    # Only JFIF (APP0) may precede the image data: no APP1 (EXIF/XMP), APP2 (ICC), APP13, COM.
    allowed = {0xE0, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD}
    assert set(_jpeg_segments(jpeg)) <= allowed, [hex(m) for m in _jpeg_segments(jpeg)]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG declaring width x height RGB pixels but carrying almost no image data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + _png_chunk(b"IEND", b"")
    )


def _real_png_bomb(width=8000, height=6000) -> bytes:
    """A valid greyscale PNG of width x height black pixels, compressed to a few tens of KB."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    """Fail the test if any image data gets decoded."""

    def refuse(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def _code(data: bytes, **limits) -> str:
    with pytest.raises(PhotoError) as caught:
        process_photo(data, **limits)
    return caught.value.code


# --- the happy paths -------------------------------------------------------------------------


def test_phone_jpeg_is_rotated_stripped_and_its_evidence_kept():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = _exif(orientation=6, taken="2025:06:01 09:30:15", offset="+08:00")
    data = _encode(
        _marked(),
        "JPEG",
        quality=95,
        exif=exif,
        comment=b"secret-comment",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>',
        icc_profile=icc,
    )
    with Image.open(io.BytesIO(data)) as original:  # the input really carries all of it
        assert original.getexif() and {"comment", "xmp", "icc_profile"} <= set(original.info)

    photo = process_photo(data)

    assert photo.original_sha256 == hashlib.sha256(data).hexdigest()
    assert photo.original_size == len(data)
    assert photo.original_format == "JPEG"
    assert (photo.width, photo.height) == (48, 64)  # orientation 6: portrait once rotated
    assert photo.captured_at == datetime(2025, 6, 1, 9, 30, 15, tzinfo=timezone(timedelta(hours=8)))
    assert photo.gps == pytest.approx((21.68, 108.61))
    for jpeg, digest in (
        (photo.public_jpeg, photo.public_sha256),
        (photo.thumb_jpeg, photo.thumb_sha256),
    ):
        assert hashlib.sha256(jpeg).hexdigest() == digest
        assert_no_metadata(jpeg)
        for secret in (b"secret-comment", b"secret-xmp", b"Exif", b"ICC_PROFILE"):
            assert secret not in jpeg
    with Image.open(io.BytesIO(photo.public_jpeg)) as public:
        assert public.size == (48, 64)
        # Baseline by default: three photos must fit the submission time budget.
        assert not (public.info.get("progressive") or public.info.get("progression"))
        # Rotating 90° clockwise moves the stored top-left corner to the top right.
        red, green, blue = public.getpixel((44, 3))
        assert red > 200 and green < 60 and blue < 60
        red, green, blue = public.getpixel((3, 3))
        assert blue > 200 and red < 60


def test_large_photo_is_shrunk_for_the_public_and_thumbnail():
    data = _encode(_marked((3000, 1000)), "PNG")
    photo = process_photo(data, public_max_side=1200, thumb_side=100)
    assert (photo.width, photo.height) == (3000, 1000)
    with Image.open(io.BytesIO(photo.public_jpeg)) as public:
        assert public.size == (1200, 400)
    with Image.open(io.BytesIO(photo.thumb_jpeg)) as thumb:
        assert thumb.size == (100, 33)


def test_png_alpha_is_flattened_on_white():
    im = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (0, 0, 10, 10))
    photo = process_photo(_encode(im, "PNG"))
    assert photo.original_format == "PNG"
    assert photo.captured_at is None and photo.gps is None
    with Image.open(io.BytesIO(photo.public_jpeg)) as public:
        assert public.mode == "RGB"
        assert min(public.getpixel((30, 20))) > 245  # transparent became white, not black
        assert public.getpixel((3, 3))[0] > 200 and public.getpixel((3, 3))[1] < 60


def test_palette_png_with_transparency_is_flattened_on_white():
    im = Image.new("P", (20, 20), 0)
    im.putpalette([0, 0, 0, 0, 255, 0])
    im.paste(1, (0, 0, 10, 20))
    photo = process_photo(_encode(im, "PNG", transparency=0))
    with Image.open(io.BytesIO(photo.public_jpeg)) as public:
        assert min(public.getpixel((15, 10))) > 245
        assert public.getpixel((3, 10))[1] > 200 and public.getpixel((3, 10))[0] < 60


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped():
    photo = process_photo(_encode(Image.new("I;16", (16, 16), 40000), "PNG"))
    with Image.open(io.BytesIO(photo.public_jpeg)) as public:
        assert 145 < public.getpixel((8, 8))[0] < 165  # 40000 / 256 ≈ 156, not 255


def test_cmyk_jpeg_becomes_rgb():
    photo = process_photo(_encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG"))
    with Image.open(io.BytesIO(photo.public_jpeg)) as public:
        red, green, blue = public.getpixel((8, 8))
        assert public.mode == "RGB" and red > 200 and green < 60 and blue < 60


def test_webp_with_exif_is_accepted():
    data = _encode(_marked(), "WEBP", quality=90, exif=_exif(taken="2024:12:31 23:59:59"))
    photo = process_photo(data)
    assert photo.original_format == "WEBP"
    assert photo.captured_at == datetime(2024, 12, 31, 23, 59, 59, tzinfo=photos.CHINA_TZ)
    assert photo.gps == pytest.approx((21.68, 108.61))
    assert_no_metadata(photo.public_jpeg)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_animation_keeps_only_its_first_frame(fmt):
    red, blue = Image.new("RGB", (32, 32), "red"), Image.new("RGB", (32, 32), "blue")
    data = _encode(red, fmt, save_all=True, append_images=[blue], duration=100, loop=0)
    with Image.open(io.BytesIO(data)) as animated:
        assert animated.n_frames == 2
    with Image.open(io.BytesIO(process_photo(data).public_jpeg)) as public:
        assert public.getpixel((16, 16))[0] > 200 and public.getpixel((16, 16))[2] < 60


def test_iphone_heic_is_decoded_rotated_and_stripped():
    exif = _exif(orientation=6, taken="2025:07:04 18:00:00", offset="+08:00")
    # pillow-heif turns EXIF orientation into the container's rotation, as iPhones write it.
    data = _encode(_marked(), "HEIF", quality=90, exif=exif.tobytes())
    assert data[4:12] == b"ftypheic"

    photo = process_photo(data)

    assert photo.original_format == "HEIF"
    assert (photo.width, photo.height) == (48, 64)
    assert photo.gps == pytest.approx((21.68, 108.61))
    assert photo.captured_at == datetime(2025, 7, 4, 18, tzinfo=photos.CHINA_TZ)
    assert_no_metadata(photo.public_jpeg)
    assert_no_metadata(photo.thumb_jpeg)
    with Image.open(io.BytesIO(photo.public_jpeg)) as public:
        assert public.size == (48, 64)
        assert public.getpixel((44, 3))[0] > 200  # rotated exactly once, clockwise


def test_broken_colour_profile_and_exif_do_not_reject_a_readable_photo():
    data = _encode(
        _marked(), "JPEG", icc_profile=b"not a profile", exif=b"Exif\x00\x00MM\x00*garbage!"
    )
    # Pillow warns about the EXIF while opening; in production that warning is only logged.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        photo = process_photo(data)
    assert photo.gps is None and photo.captured_at is None
    assert_no_metadata(photo.public_jpeg)


def test_twelve_megapixel_phone_photos_decode_at_half_scale():
    # Timings: benchmarks/photo_bench.py (tests never assert on time).
    photo = process_photo(photo_like_jpeg())
    assert (photo.width, photo.height) == (4000, 3000)
    with Image.open(io.BytesIO(photo.public_jpeg)) as public:
        assert public.size == (2000, 1500)  # decoded at 1/2 scale by JPEG DCT scaling
    with Image.open(io.BytesIO(photo.thumb_jpeg)) as thumb:
        assert thumb.size == (320, 240)


# --- refusals --------------------------------------------------------------------------------


def test_text_file_named_like_a_photo_is_not_an_image():
    assert _code(b"Dear sir, the outfall on the river smells.\n" * 10) == "not_an_image"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        b"\x00\x00\x00\x18ftypqt  \x00\x00\x02\x00qt  ",  # a Live Photo's video half
        b"PK\x03\x04 a zip",
    ],
)
def test_other_documents_are_not_images(data):
    assert _code(data) == "not_an_image"


def test_empty_upload_is_refused():
    assert _code(b"") == "empty"


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
        b'\xef\xbb\xbf  <svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
    ],
)
def test_svg_is_refused_as_unsupported(data):
    assert _code(data) == "unsupported_format"


@pytest.mark.parametrize("fmt", ["GIF", "TIFF", "BMP"])
def test_other_image_formats_are_unsupported(fmt):
    assert _code(_encode(_marked(), fmt)) == "unsupported_format"


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_jpeg_is_refused(cut):
    data = photo_like_jpeg(400, 300)
    assert _code(data[: int(len(data) * cut)]) == "truncated"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_truncated_png_webp_and_heic_are_refused(fmt):
    data = _encode(Image.effect_noise((200, 150), 40).convert("RGB"), fmt)
    assert _code(data[: len(data) // 2]) == "truncated"


def test_jpeg_cut_inside_its_header_is_refused():
    assert _code(_encode(_marked(), "JPEG")[:40]) in {"truncated", "corrupt"}


def _damaged_jpegs() -> list[bytes]:
    good = _encode(_marked(), "JPEG")
    scan_end = len(good) - 2
    return [
        good[:20] + b"\x13\x37" * 200,  # a JFIF header followed by junk
        good[: scan_end - 150]
        + bytes(b ^ 0x5A for b in good[scan_end - 150 : scan_end])
        + good[-2:],
    ]


@pytest.mark.parametrize("data", _damaged_jpegs(), ids=["junk-after-header", "scrambled-scan"])
def test_damaged_jpeg_is_corrupt(data):
    assert _code(data) == "corrupt"


def test_oversized_upload_is_refused_before_decoding(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the decoder was called")

    monkeypatch.setattr(Image, "open", refuse)
    assert _code(b"\xff\xd8\xff\xe0" + bytes(photos.MAX_BYTES)) == "too_large"
    assert _code(b"\xff\xd8\xff\xe0" + bytes(2 * photos.MiB), max_bytes=2 * photos.MiB) == (
        "too_large"
    )


def test_decompression_bomb_is_refused_without_decoding_pixels(no_pixel_decoding):
    assert _code(_png_header_only(20000, 20000)) in {"bomb", "too_many_pixels"}


def test_compressed_48_megapixel_png_is_refused_without_decoding_pixels(no_pixel_decoding):
    data = _real_png_bomb()
    assert len(data) < 200_000  # 48 MB of pixels in a small upload
    assert _code(data) == "too_many_pixels"


def test_pillow_bomb_warning_is_refused_whatever_the_warning_filter(no_pixel_decoding):
    data = _png_header_only(10000, 10000)  # above Pillow's warning threshold, below its error
    assert _code(data) == "bomb"  # the suite turns warnings into errors
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        assert _code(data) == "too_many_pixels"


def test_pixel_limit_is_configurable():
    assert _code(_encode(_marked((100, 100)), "PNG"), max_pixels=5000) == "too_many_pixels"


def test_compressed_text_chunk_bomb_is_refused():
    text = _png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * 20_000_000))
    good = _encode(_marked(), "PNG")
    data = good[:33] + text + good[33:]  # right after IHDR
    assert _code(data) == "bomb"


# --- small helpers ---------------------------------------------------------------------------


def test_read_limited_never_reads_past_the_limit():
    assert photos.read_limited(io.BytesIO(b"x" * 10), max_bytes=10) == b"x" * 10
    with pytest.raises(PhotoError) as caught:
        photos.read_limited(io.BytesIO(b"x" * 11), max_bytes=10)
    assert caught.value.code == "too_large"


def test_at_most_six_photos():
    photos.check_photo_count(6)
    with pytest.raises(PhotoError) as caught:
        photos.check_photo_count(7)
    assert caught.value.code == "too_many_photos"


# --- EXIF readers ----------------------------------------------------------------------------


def _gps_exif(lat, lat_ref, lon, lon_ref) -> Image.Exif:
    return _exif(gps=(lat, lon), refs=(lat_ref, lon_ref))


def test_gps_south_and_west_are_negative():
    sydney = _gps_exif((33, 51, 54), "S", (151, 12, 36), "E")
    assert read_gps(sydney) == pytest.approx((-33.865, 151.21))
    lima = _gps_exif(
        (IFDRational(12, 1), IFDRational(2, 1), IFDRational(4356, 100)),
        b"S\x00",
        (IFDRational(77, 1), IFDRational(1, 1), IFDRational(4788, 100)),
        "W",
    )
    assert read_gps(lima) == pytest.approx((-12.0454333, -77.0299667))


def test_gps_from_a_plain_mapping_and_a_real_file():
    plain = {ExifTags.IFD.GPSInfo: {1: "N", 2: QINZHOU[0], 3: "E", 4: QINZHOU[1]}}
    assert read_gps(plain) == pytest.approx((21.68, 108.61))
    with Image.open(io.BytesIO(_encode(_marked(), "JPEG", exif=_exif()))) as im:
        assert read_gps(im.getexif()) == pytest.approx((21.68, 108.61))


@pytest.mark.parametrize(
    "exif",
    [
        Image.Exif(),
        _gps_exif((0, 0, 0), "N", (0, 0, 0), "E"),
        _gps_exif((95, 0, 0), "N", (108, 0, 0), "E"),
        _gps_exif((21, 0, 0), "N", (181, 0, 0), "E"),
        _gps_exif((IFDRational(21, 0), 0, 0), "N", (108, 0, 0), "E"),
        _gps_exif((21, 75, 0), "N", (108, 0, 0), "E"),
        _gps_exif((21, 40, 48), "X", (108, 36, 36), "E"),
        _gps_exif((21, 40, 48), "E", (108, 36, 36), "N"),
        _gps_exif("21.68", "N", (108, 36, 36), "E"),
    ],
    ids=[
        "absent",
        "null-island",
        "lat>90",
        "lon>180",
        "zero-denominator",
        "minutes>60",
        "ref",
        "swapped-refs",
        "str",
    ],
)
def test_missing_or_implausible_gps_is_none(exif):
    assert read_gps(exif) is None


def test_capture_time_uses_the_offset_the_camera_wrote():
    exif = _exif(taken="2025:03:09 07:05:00", offset="-05:00", gps=None)
    assert read_capture_time(exif) == datetime(
        2025, 3, 9, 7, 5, tzinfo=timezone(timedelta(hours=-5))
    )


def test_capture_time_without_offset_is_china_time_with_subseconds():
    exif = _exif(taken="2025:03:09 07:05:00\x00", gps=None)
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.SubsecTimeOriginal] = "042"
    taken = read_capture_time(exif)
    assert taken == datetime(2025, 3, 9, 7, 5, 0, 42000, tzinfo=photos.CHINA_TZ)
    assert taken.utcoffset() == timedelta(hours=8)


def test_capture_time_falls_back_to_digitized_but_not_to_file_change_time():
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "2026:01:01 00:00:00"  # rewritten by any editor
    assert read_capture_time(exif) is None
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeDigitized] = "2025:05:05 05:05:05"
    assert read_capture_time(exif) == datetime(2025, 5, 5, 5, 5, 5, tzinfo=photos.CHINA_TZ)


@pytest.mark.parametrize("stamp", ["0000:00:00 00:00:00", "2025:13:40 25:00:00", "", "soon"])
def test_impossible_capture_time_is_none(stamp):
    assert read_capture_time(_exif(taken=stamp or None, gps=None)) is None


def test_bad_offset_falls_back_to_china_time():
    exif = _exif(taken="2025:03:09 07:05:00", offset="+99:00", gps=None)
    assert read_capture_time(exif).utcoffset() == timedelta(hours=8)


# --- messages --------------------------------------------------------------------------------


def test_every_refusal_carries_a_translatable_message_with_its_numbers():
    bad_inputs = {
        "too_large": (b"\xff\xd8\xff" + bytes(photos.MAX_BYTES), {}),
        "not_an_image": (b"plain text", {}),
        "unsupported_format": (b"GIF89a....", {}),
        "truncated": (photo_like_jpeg(200, 100)[:500], {}),
        "corrupt": (_damaged_jpegs()[0], {}),
        "too_many_pixels": (_real_png_bomb(), {}),
        "bomb": (_png_header_only(20000, 20000), {}),
        "empty": (b"", {}),
    }
    errors = {}
    for code, (data, limits) in bad_inputs.items():
        with pytest.raises(PhotoError) as caught:
            process_photo(data, **limits)
        assert caught.value.code == code
        errors[code] = caught.value
    with pytest.raises(PhotoError) as caught:
        photos.check_photo_count(9)
    errors["too_many_photos"] = caught.value

    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        rendered = {code: str(error.message) for code, error in errors.items()}
    assert all(text and "%(" not in text for text in rendered.values()), rendered
    assert "10 MB" in rendered["too_large"]
    assert "40 megapixels" in rendered["too_many_pixels"]
    assert "6" in rendered["too_many_photos"]
    assert isinstance(errors["too_large"], ValueError)
    assert len(set(rendered.values())) == len(rendered)  # each refusal says what went wrong
