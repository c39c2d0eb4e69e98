"""Absolute URLs for things that leave the site: QR codes, signboards, emails."""

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    """Absolute URL on the configured public host, else on the current request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
