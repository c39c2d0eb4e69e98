"""Absolute URLs for things that leave the site: QR codes, signboards, emails, SMS.

They are built from configuration only, never from a request header: a request with
`Host: evil.example` must not put evil.example into the mail a department receives.
"""

from urllib.parse import quote, urlsplit

from flask import Flask, current_app
from werkzeug.routing import IntegerConverter

# A development server's address when nothing else is configured (debug and tests only;
# outside them the portal refuses to start without PUBLIC_BASE_URL).
DEV_BASE_URL = "http://127.0.0.1:5000"


def check_base_url(value: str) -> str | None:
    """Why `value` cannot be the public base URL, or None when it can."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an absolute http(s) URL such as https://pwk.example.gov.cn"
    if parts.query or parts.fragment:
        return "must not carry a query or fragment"
    return None


def base_url(app: Flask | None = None) -> str:
    """The configured public base URL; in development SERVER_NAME, else the dev server."""
    config = (app or current_app).config
    if config.get("PUBLIC_BASE_URL"):
        return config["PUBLIC_BASE_URL"].rstrip("/")
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    return DEV_BASE_URL


def public_url(endpoint: str, **values) -> str:
    """Absolute URL of an endpoint on the public host, whatever request is being served."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (never an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    # Browsers read "/\\evil.example" as "//evil.example"; refuse backslashes and controls
    # (a CR or LF would also break the Location header).
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return None
    return target


# The largest value of the smallest integer primary key among our databases (PostgreSQL's
# INTEGER). A larger id cannot name a row: 404, not an overflow in the driver.
DB_INT_MAX = 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    """`<int:…>` path values that fit every database's integer column."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def web_map_url(lat: float, lon: float, name: str = "") -> str:
    """A link that opens a point in a web map (config MAP_LINK_URL), not a `geo:` URI:
    WeChat's browser opens https links and ignores geo:."""
    template = current_app.config.get("MAP_LINK_URL") or DEFAULT_MAP_LINK
    return template.format(lat=f"{lat:.6f}", lon=f"{lon:.6f}", name=quote(name or "", safe=""))


# Amap's marker page, told the point is WGS84 (it converts to its own GCJ-02 offset).
DEFAULT_MAP_LINK = (
    "https://uri.amap.com/marker?position={lon},{lat}&name={name}&coordinate=wgs84&callnative=0"
)


def init_app(app: Flask) -> None:
    """Every `<int:…>` of every blueprint is bounded (call before registering them);
    templates get `public_base_url` (share cards link to the public host) and
    `web_map_url`."""
    app.url_map.converters["int"] = DatabaseIntConverter
    app.context_processor(lambda: {"public_base_url": base_url()})
    app.add_template_global(web_map_url)
