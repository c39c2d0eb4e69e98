"""Response headers that every page gets: CSP, framing, sniffing, referrer."""

from urllib.parse import urlsplit

from flask import Flask


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


def init_app(app: Flask) -> None:
    """Add the security headers to every response."""
    csp = content_security_policy(app.config["MAP_TILE_URL"])

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response
