"""QR codes for outfall signboards: pure functions, no Flask or database."""

from __future__ import annotations

import io
import string
from urllib.parse import quote, urlsplit, urlunsplit

import segno

# Outdoor signs get dirty and scratched: level H survives ~30 % damage.
ERROR_LEVEL = "h"
# The QR spec requires a 4-module light margin; scanners fail on less.
QUIET_ZONE = 4

# Every printable ASCII character is left alone; only non-ASCII characters,
# spaces and controls get percent-escaped, so an already valid URL is unchanged.
_URL_SAFE = "".join(ch for ch in string.printable if ch not in string.whitespace)


def _to_uri(url: str) -> str:
    """Turn an IRI into a pure-ASCII URI (IDNA host, percent-escaped rest)."""
    # Raw non-ASCII would push segno into Kanji or Latin-1 modes that phone
    # scanners decode inconsistently; a pure-ASCII URI reads the same everywhere.
    if url.isascii():
        return url
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    if not host.isascii():
        # Hosts cannot be percent-escaped; they take the IDNA (punycode) form.
        host = host.encode("idna").decode("ascii")
    netloc = f"{userinfo}{at}{host}{colon}{port}"
    return urlunsplit(
        (
            parts.scheme,
            quote(netloc, safe=_URL_SAFE),
            quote(parts.path, safe=_URL_SAFE),
            quote(parts.query, safe=_URL_SAFE),
            quote(parts.fragment, safe=_URL_SAFE),
        )
    )


def _make(url: str) -> segno.QRCode:
    """Build the QR code object for a URL."""
    # make_qr (not make) so segno never picks a Micro QR that phones cannot read;
    # boost_error is moot at level H but pinned so output never depends on it.
    return segno.make_qr(_to_uri(url), error=ERROR_LEVEL, boost_error=False)


def qr_matrix(url: str) -> list[list[bool]]:
    """Return the module matrix (True = dark), quiet zone included."""
    qr = _make(url)
    return [[bool(m) for m in row] for row in qr.matrix_iter(border=QUIET_ZONE)]


def qr_svg(url: str) -> bytes:
    """Return the QR code for url as a standalone black-on-white SVG document."""
    buf = io.BytesIO()
    _make(url).save(
        buf,
        kind="svg",
        scale=10,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        xmldecl=True,
        svgns=True,
        encoding="utf-8",
    )
    return buf.getvalue()


def qr_png(url: str, scale: int = 10) -> bytes:
    """Return the QR code for url as a black-on-white PNG, scale pixels per module."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    buf = io.BytesIO()
    _make(url).save(
        buf,
        kind="png",
        scale=scale,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
    )
    return buf.getvalue()
