"""Checks for serving with several processes (gunicorn.conf.py calls them in each worker)."""

from flask import Flask


def check_workers(app, workers: int) -> None:
    """Refuse settings that only hold in a single process.

    Raises:
        RuntimeError: rate limits in process memory while several workers serve: each
            worker would count on its own and one address get `workers` times its limit.
    """
    if not isinstance(app, Flask) or "limiter" not in app.extensions:
        return  # not the portal (a bare benchmark endpoint, say)
    if workers <= 1 or app.debug or not app.config.get("RATELIMIT_ENABLED", True):
        return
    if str(app.config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        raise RuntimeError(
            f"RATELIMIT_STORAGE_URI is memory:// but {workers} worker processes serve: each "
            "would keep its own counters and the public rate limits would not hold. Set "
            "RATELIMIT_STORAGE_URI=redis://host:6379 (FLASK_RATELIMIT_STORAGE_URI), or serve "
            "with one worker."
        )
