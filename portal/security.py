"""Response headers that every page gets: CSP, framing, sniffing, referrer."""

from collections.abc import Iterable
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, make_response, request, session

from .core.clock import utcnow
from .forms import control_characters


def content_security_policy(tile_url: str) -> str:
    """A strict CSP: own scripts and styles only, images also from the tile server."""
    tiles = urlsplit(tile_url.replace("{s}", "a"))
    tile_origin = f"{tiles.scheme}://{tiles.netloc}" if tiles.netloc else ""
    if "{s}" in tile_url:
        tile_origin = f"{tiles.scheme}://*.{tiles.netloc.split('.', 1)[1]}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {tile_origin}".strip(),
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# Browser features no page needs; a page that needs one says so with `allow`.
FEATURES = ("geolocation", "camera", "microphone", "payment", "usb", "interest-cohort")
HSTS = "max-age=31536000; includeSubDomains"


def permissions_policy(allowed: Iterable[str] = ()) -> str:
    """Every feature off, but those `allowed` for this origin."""
    allowed = set(allowed)
    return ", ".join(f"{f}=(self)" if f in allowed else f"{f}=()" for f in FEATURES)


def allow(*features: str):
    """View decorator: this page may use these browser features (e.g. "geolocation")."""
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown browser features: {sorted(unknown)}")
    header = permissions_policy(features)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            response = make_response(view(*args, **kwargs))
            response.headers["Permissions-Policy"] = header
            return response

        return wrapped

    return decorator


def checks_its_own_query(view):
    """Mark a view that makes safe any query value itself (the guard below skips it)."""
    view.checks_its_own_query = True
    return view


def refuse_control_characters():
    """`before_request`: no control character in a path or a query value reaches a view.

    Raises:
        NotFound: the path holds one (no page has such an address).
        BadRequest: a query key or value holds one.
    """
    if control_characters(request.path):
        abort(404)
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "checks_its_own_query", False):
        return
    for key, values in request.args.lists():
        if control_characters(key) or any(control_characters(v) for v in values):
            abort(400)


def _security_txt():
    """RFC 9116: where to report a vulnerability, valid for a year from today."""
    contact = current_app.config.get("SECURITY_CONTACT")
    if not contact:
        abort(404)
    expires = (utcnow() + timedelta(days=365)).strftime("%Y-%m-%dT00:00:00Z")
    body = f"Contact: {contact}\nExpires: {expires}\nPreferred-Languages: zh, en\n"
    response = make_response(body)
    response.mimetype = "text/plain"
    return response


def init_app(app: Flask) -> None:
    """Refuse control characters in addresses; add the security headers to every response."""
    csp = content_security_policy(app.config["MAP_TILE_URL"])
    default_permissions = permissions_policy()
    app.before_request(refuse_control_characters)
    app.add_url_rule("/.well-known/security.txt", "security_txt", _security_txt)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", default_permissions)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        # A page that sets a session cookie or carries a CSRF token is one person's:
        # no shared cache (CDN, proxy, the page cache) may keep it.
        if session.modified or g.get("csrf_token"):
            response.cache_control.no_store = True
            response.cache_control.public = False
            response.cache_control.max_age = None
        return response


# Read-only data for anyone: any origin may GET it (no cookies are involved).
CORS_METHODS = ("GET", "HEAD", "OPTIONS")


def allow_public_reads(response):
    """`after_request` of the machine-readable blueprints (/api/v1, /open311): cross-origin
    reads for any origin, never a cross-origin write."""
    if request.method in CORS_METHODS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ", ".join(CORS_METHODS)
            response.headers["Access-Control-Max-Age"] = "86400"
    return response
