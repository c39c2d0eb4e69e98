"""Photos made on the fly for tests: a phone-like JPEG with EXIF GPS, and bad files."""

import io

from PIL import Image

QINZHOU = (21.68, 108.61)


def _dms(value: float):
    degrees = int(value)
    minutes_float = (value - degrees) * 60
    minutes = int(minutes_float)
    return (degrees, minutes, round((minutes_float - minutes) * 60, 4))


def phone_jpeg(gps=QINZHOU, size=(800, 600), taken="2026:11:20 09:30:00") -> bytes:
    """A JPEG with EXIF capture time and (optionally) GPS, as a phone writes it."""
    image = Image.new("RGB", size, (40, 90, 140))
    for x in range(0, size[0], 40):
        image.paste((200, 180, 40), (x, 0, x + 10, size[1]))
    out = io.BytesIO()
    image.save(out, "JPEG", exif=_exif(gps, taken), quality=85)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", mimetype: str = "image/jpeg"):
    """A file tuple for the Flask test client's multipart posts."""
    return (io.BytesIO(data), name, mimetype)


def _exif(gps, taken) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 1
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N" if gps[0] >= 0 else "S"
        gps_ifd[2] = _dms(abs(gps[0]))
        gps_ifd[3] = "E" if gps[1] >= 0 else "W"
        gps_ifd[4] = _dms(abs(gps[1]))
    return exif


def photo_like_jpeg(width=4000, height=3000, quality=90, gps=None, taken=None) -> bytes:
    """A JPEG that compresses like a phone photo: gradients, blotches and sensor noise;
    with `gps` (lat, lon) and `taken` ("YYYY:MM:DD HH:MM:SS") in its EXIF, as a phone
    writes them."""
    gradient = Image.linear_gradient("L").resize((width, height))
    blotches = Image.effect_noise((width // 8, height // 8), 60).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    grain = Image.effect_noise((width, height), 10)
    im = Image.merge(
        "RGB",
        (
            Image.blend(gradient, blotches, 0.5),
            Image.blend(blotches, grain, 0.5),
            Image.blend(gradient, grain, 0.3),
        ),
    )
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, exif=_exif(gps, taken))
    return buf.getvalue()
