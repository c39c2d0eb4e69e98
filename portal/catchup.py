"""Everything downstream follows a registry change, on every worker and node.

A worker keeps three copies of the registry: the node's search index (shared by its
workers), its page cache and its map grid cache. A change committed anywhere — this
worker, another worker, another node, the import — is written to the change sequence
(`ledger_entries`, see outfalls/changes.py). At most once per REGISTRY_CATCHUP_SECONDS
(and at once after this worker commits a change) the first request a worker serves asks
the sequence for what is new — one indexed query, nothing returned when nothing changed —
and then, before that request is answered:

- the search index writes the changed outfalls' documents (search/catchup.py; a batch
  too large for a request rebuilds in the background, searches use the database);
- the page cache forgets its pages (pagecache.PageCache.invalidate);
- the map grid cache forgets its grids (outfalls.clustering.clear_grid_cache).

So no worker serves a page, a search or a map older than the bound; writers call
nothing, the ledger entry they must write anyway is the signal. `flask portal reindex
--catch-up` does the index part from cron on a node that serves no traffic.
"""

import logging
import threading
import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

EXTENSION_KEY = "registry_catchup"


class Follower:
    """This process's place in the change sequence, and the caches it refreshes."""

    def __init__(self, app: Flask, interval: float):
        self.app = app
        self.interval = interval
        self.mark = None  # the caches' mark; set at the first check
        self.next_at = 0.0
        self.lock = threading.Lock()
        self.clock = time.monotonic

    def due(self) -> None:
        """Check at the next request (this process just committed a change)."""
        self.next_at = 0.0

    def maybe_check(self) -> None:
        """Check if the interval has passed; another thread checking meanwhile is enough."""
        if self.clock() < self.next_at:
            return
        if not self.lock.acquire(blocking=False):
            return
        try:
            if self.clock() < self.next_at:
                return
            self.next_at = self.clock() + self.interval
            self.check()
        except Exception:  # noqa: BLE001 - the page is still served; the next check retries
            log.exception("catching up with the registry's changes failed")
        finally:
            self.lock.release()

    def check(self) -> int:
        """Apply what changed since the last check; returns how many changes were new."""
        from .extensions import db
        from .outfalls import changes
        from .outfalls.clustering import clear_grid_cache

        with self.app.app_context(), Session(bind=db.engine) as session:
            if self.mark is None:
                # A fresh process has empty caches: it starts at the head.
                self.mark = changes.head(session)
            found = changes.since(session, self.mark)
            if found:
                self.mark = changes.advance(self.mark, found)
                clear_grid_cache()
                cache = self.app.extensions.get("page_cache")
                if cache is not None:
                    cache.invalidate()
            if self.app.config.get("SEARCH_AUTO_INDEX", True):
                from .search import catchup

                catchup.catch_up(session, self.app.config["SEARCH_INDEX_DIR"], background=True)
            return len(found)


class _Middleware:
    def __init__(self, follower: Follower, wsgi_app):
        self.follower = follower
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        self.follower.maybe_check()
        return self.wsgi_app(environ, start_response)


def _after_flush(session, _context) -> None:
    from .outfalls.models import LedgerEntry

    if any(isinstance(obj, LedgerEntry) for obj in session.new):
        session.info["registry_changed"] = True


def _after_commit(session) -> None:
    from flask import current_app, has_app_context

    if session.info.pop("registry_changed", False) and has_app_context():
        follower = current_app.extensions.get(EXTENSION_KEY)
        if follower is not None:
            follower.due()


def _after_rollback(session) -> None:
    session.info.pop("registry_changed", None)


def init_app(app: Flask) -> None:
    """Wrap the application (outside the page cache) when REGISTRY_CATCHUP_SECONDS > 0."""
    seconds = float(app.config.get("REGISTRY_CATCHUP_SECONDS") or 0)
    if seconds <= 0:
        return
    from .extensions import db

    follower = Follower(app, seconds)
    app.extensions[EXTENSION_KEY] = follower
    app.wsgi_app = _Middleware(follower, app.wsgi_app)
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_flush", _after_flush)
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_rollback", _after_rollback)
