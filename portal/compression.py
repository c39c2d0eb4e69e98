"""gzip for pages and JSON, for browsers that ask: 12 KB of form become 3 KB on 50 KB/s.

Static files come precompressed (staticfiles.py); this WSGI middleware compresses what
the application renders: HTML, JSON and GeoJSON of at least MIN_BYTES, when the request
says `Accept-Encoding: gzip` and the response carries no encoding yet. Its ETag becomes
weak (the bytes differ, the content does not), which Werkzeug's conditional requests
compare weakly, so 304 answers keep working. Files (send_file) pass untouched.
"""

import gzip

from werkzeug.datastructures import Headers

COMPRESSIBLE = ("text/html", "application/json", "application/geo+json", "text/plain")
MIN_BYTES = 1024
MAX_BYTES = 2 * 1024 * 1024
LEVEL = 5  # level 9 saves ~2% more for several times the CPU


class GzipMiddleware:
    """WSGI middleware; see the module docstring."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", "").lower():
            return self.wsgi_app(environ, start_response)
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: captured.setdefault("written", []).append(data)

        app_iter = self.wsgi_app(environ, capture)
        headers = Headers(captured["headers"])
        if not self._worth_it(environ, captured["status"], headers) or captured.get("written"):
            start_response(captured["status"], captured["headers"], captured["exc_info"])
            return app_iter
        try:
            body = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        if len(body) >= MIN_BYTES:
            body = gzip.compress(body, LEVEL, mtime=0)
            headers["Content-Encoding"] = "gzip"
            vary = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
            headers["Vary"] = ", ".join([*vary, "Accept-Encoding"])
            etag = headers.get("ETag")
            if etag and not etag.startswith("W/"):
                headers["ETag"] = "W/" + etag
        headers["Content-Length"] = str(len(body))
        start_response(captured["status"], headers.to_wsgi_list(), captured["exc_info"])
        return [body]

    @staticmethod
    def _worth_it(environ, status: str, headers: Headers) -> bool:
        if environ.get("REQUEST_METHOD") == "HEAD" or headers.get("Content-Encoding"):
            return False
        if status[:3] in ("204", "304") or "no-transform" in headers.get("Cache-Control", ""):
            return False
        length = headers.get("Content-Length")
        if length is None or not length.isdigit() or not MIN_BYTES <= int(length) <= MAX_BYTES:
            return False
        mimetype = headers.get("Content-Type", "").split(";", 1)[0].strip()
        return mimetype in COMPRESSIBLE


def init_app(app) -> None:
    """Compress rendered responses for clients that accept gzip."""
    app.wsgi_app = GzipMiddleware(app.wsgi_app)
