"""Absolute URLs for things that leave the site: QR codes, signboards, emails."""

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values) -> str:
    """Absolute URL on the configured public host, else on the current request's host.

    Outside a request (cron commands writing emails) PUBLIC_BASE_URL is the only source
    of the host; without it links fall back to http://localhost and a warning is logged.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if has_request_context():
        if base:
            return base.rstrip("/") + url_for(endpoint, **values)
        return url_for(endpoint, _external=True, **values)
    if not base:
        current_app.logger.warning("PUBLIC_BASE_URL is not set; links in emails use localhost")
        base = "http://localhost"
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
