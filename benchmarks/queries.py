"""SQL statements per request, counted in-process on the same database with the test client."""

import io
import os
from contextlib import contextmanager

from sqlalchemy import event

from .loads import csrf_token


class QueryCounter:
    """Counts statements the app's engine executes between `reset()` and `count`."""

    def __init__(self, app):
        from portal.extensions import db

        self.count = 0
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args) -> None:
        self.count += 1

    def reset(self) -> None:
        """Start counting afresh."""
        self.count = 0


@contextmanager
def portal_app(env: dict[str, str]):
    """The portal app configured from the benchmark's FLASK_* environment, as gunicorn sees it."""
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("FLASK_")})
    # Count what the application does for a page, not a page cache hit (which is none).
    os.environ["FLASK_PAGE_CACHE_SECONDS"] = "0"
    os.environ.pop("DATABASE_URL", None)
    try:
        from portal import create_app

        yield create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def count_queries(
    env: dict[str, str],
    paths: dict[str, list[str]],
    staff: tuple[str, str] | None,
    submission: tuple[str, list[bytes]] | None = None,
) -> dict[str, int]:
    """Name -> the most statements any of its paths needs on a warm second request.

    With `submission` (outfall code, photos), also "complaint": the statements of one post.
    """
    with portal_app(env) as app:
        counter = QueryCounter(app)
        public = app.test_client()
        signed_in = app.test_client()
        if staff:
            page = signed_in.get("/staff/login").get_data(as_text=True)
            signed_in.post(
                "/staff/login",
                data={"csrf_token": csrf_token(page), "username": staff[0], "password": staff[1]},
            )
        result = {}
        for name, urls in paths.items():
            client = signed_in if name.startswith("queue") else public
            worst = 0
            for url in urls:
                client.get(url)  # first request warms whatever the app caches per process
                counter.reset()
                client.get(url)
                worst = max(worst, counter.count)
            result[name] = worst
        if submission:
            code, photos = submission
            page = public.get(f"/complaints/new?outfall={code}").get_data(as_text=True)
            data = {
                "csrf_token": csrf_token(page),
                "category": "abnormal_water",
                "description": "基准测试：统计一次举报的 SQL 语句数。",
                "identity": "anonymous",
                "outfall": code,
                "photos": [
                    (io.BytesIO(p), f"photo-{n}.jpg", "image/jpeg") for n, p in enumerate(photos)
                ],
            }
            counter.reset()
            response = public.post("/complaints/new", data=data, content_type="multipart/form-data")
            if response.status_code == 303:
                result["complaint"] = counter.count
        return result
