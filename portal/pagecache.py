"""A micro-cache of public pages in each worker process: what a CDN in front would do.

A signboard's QR code sends many phones to the same few pages. Those pages are already
marked cacheable (`caching.public`: `Cache-Control: public, max-age`, `Vary: Cookie,
Accept-Language`); this WSGI middleware keeps such responses in memory for a short time
(PAGE_CACHE_SECONDS, never longer than their max-age) and answers repeats without running
Flask, the ORM or Jinja.

What it will serve from memory, and what it keys on, follows the response's own promises:

- only GET and HEAD, without an Authorization header and without any cookie except the
  language choice (a session cookie may mean a signed-in member of staff, a flash message
  or a CSRF token: those requests always reach the application);
- only 200 responses that say `Cache-Control: public`, set no cookie and are small;
- keyed by path, query string and the language the page was rendered in (the language
  cookie, else the browser's Accept-Language, resolved exactly as `i18n.get_locale` does).

Any commit that writes to the database in this process empties the cache; other worker
processes see the change when their copies expire, as a CDN's would.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from flask import Flask
from werkzeug.datastructures import LanguageAccept, ResponseCacheControl
from werkzeug.http import parse_accept_header, parse_cache_control_header

from . import i18n


@dataclass
class _Entry:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None
    stored: float
    expires: float
    generation: int


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class PageCache:
    """WSGI middleware; see the module docstring."""

    def __init__(self, app: Flask, wsgi_app, seconds: int, max_bytes: int, max_entry: int):
        self.wsgi_app = wsgi_app
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.max_entry = max_entry
        self.default_locale = app.config["BABEL_DEFAULT_LOCALE"]
        self.entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self.size = 0
        self.generation = 0
        self.lock = threading.Lock()
        self.clock = time.monotonic

    # --- keys ---------------------------------------------------------------------------

    def _locale(self, environ) -> str | None:
        """The page's language, or None when the request must not be served from memory."""
        raw = environ.get("HTTP_COOKIE")
        chosen = None
        if raw:
            try:
                cookies = SimpleCookie(raw)
            except CookieError:
                return None
            if set(cookies) - {i18n.LANG_COOKIE}:
                return None
            if i18n.LANG_COOKIE in cookies:
                chosen = cookies[i18n.LANG_COOKIE].value
        accept = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
        return i18n.choose_locale(chosen, accept, self.default_locale)

    def _key(self, environ) -> tuple | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if "HTTP_AUTHORIZATION" in environ:
            return None
        locale = self._locale(environ)
        if locale is None:
            return None
        return (
            environ.get("HTTP_HOST", ""),
            environ.get("wsgi.url_scheme", "http"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            locale,
        )

    # --- serving ------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Forget every page (the database changed)."""
        with self.lock:
            self.generation += 1
            self.entries.clear()
            self.size = 0

    def _lookup(self, key: tuple) -> _Entry | None:
        now = self.clock()
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry.expires <= now or entry.generation != self.generation:
                del self.entries[key]
                self.size -= len(entry.body)
                return None
            self.entries.move_to_end(key)
            return entry

    def _store(self, key: tuple, entry: _Entry) -> None:
        with self.lock:
            if entry.generation != self.generation:
                return  # the database changed while this page was being rendered
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old.body)
            self.entries[key] = entry
            self.size += len(entry.body)
            while self.size > self.max_bytes and self.entries:
                _key, evicted = self.entries.popitem(last=False)
                self.size -= len(evicted.body)

    def _serve(self, entry: _Entry, environ, start_response):
        age = str(int(self.clock() - entry.stored))
        match = environ.get("HTTP_IF_NONE_MATCH")
        if entry.etag and match and entry.etag in (m.strip() for m in match.split(",")):
            keep = {"cache-control", "etag", "vary", "content-security-policy"}
            headers = [(k, v) for k, v in entry.headers if k.lower() in keep]
            start_response("304 NOT MODIFIED", [*headers, ("Age", age)])
            return []
        start_response(entry.status, [*entry.headers, ("Age", age)])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]

    def _ttl(self, status: str, headers: list[tuple[str, str]]) -> int:
        """Seconds this response may be kept; 0 when it must not be."""
        if not status.startswith("200"):
            return 0
        if _header(headers, "Set-Cookie") is not None:
            return 0
        cache_control = parse_cache_control_header(
            _header(headers, "Cache-Control"), cls=ResponseCacheControl
        )
        if not cache_control.public or cache_control.no_store or cache_control.private:
            return 0
        if cache_control.no_cache:
            return 0
        return min(self.seconds, cache_control.max_age or 0)

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        entry = self._lookup(key)
        if entry is not None:
            return self._serve(entry, environ, start_response)
        if environ["REQUEST_METHOD"] == "HEAD" or "HTTP_IF_NONE_MATCH" in environ:
            # No full body to keep from these; the next plain GET fills the cache.
            return self.wsgi_app(environ, start_response)

        generation = self.generation
        started = self.clock()
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body_iter = self.wsgi_app(environ, capture)
        ttl = self._ttl(captured.get("status", ""), captured.get("headers", []))
        # A streamed body (no Content-Length: an open-data download) or a large one is
        # passed through, never read into memory to be kept.
        length = _header(captured.get("headers", []), "Content-Length")
        if not ttl or length is None or not length.isdigit() or int(length) > self.max_entry:
            return body_iter
        try:
            body = b"".join(body_iter)
        finally:
            if hasattr(body_iter, "close"):
                body_iter.close()
        if len(body) <= self.max_entry:
            headers = captured["headers"]
            self._store(
                key,
                _Entry(
                    status=captured["status"],
                    headers=list(headers),
                    body=body,
                    etag=_header(headers, "ETag"),
                    stored=started,
                    expires=started + ttl,
                    generation=generation,
                ),
            )
        return [body]


def _on_commit(session) -> None:
    from flask import current_app

    if session.info.pop("page_cache_dirty", False):
        cache = current_app.extensions.get("page_cache")
        if cache is not None:
            cache.invalidate()


def _on_flush(session, _context) -> None:
    session.info["page_cache_dirty"] = True


def _on_execute(state) -> None:
    """Bulk INSERT/UPDATE/DELETE through session.execute() changes rows without a flush."""
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["page_cache_dirty"] = True


def _on_rollback(session) -> None:
    session.info.pop("page_cache_dirty", None)


def init_app(app: Flask) -> None:
    """Wrap the application in the cache when PAGE_CACHE_SECONDS > 0 (never in debug mode)."""
    seconds = int(app.config.get("PAGE_CACHE_SECONDS") or 0)
    if seconds <= 0 or app.debug:
        return  # off, or a developer editing templates wants to see each change at once
    from sqlalchemy import event

    from .extensions import db

    cache = PageCache(
        app,
        app.wsgi_app,
        seconds=seconds,
        max_bytes=int(app.config["PAGE_CACHE_MAX_BYTES"]),
        max_entry=int(app.config["PAGE_CACHE_MAX_ENTRY_BYTES"]),
    )
    app.extensions["page_cache"] = cache
    app.wsgi_app = cache
    if not event.contains(db.session, "after_commit", _on_commit):
        event.listen(db.session, "after_flush", _on_flush)
        event.listen(db.session, "do_orm_execute", _on_execute)
        event.listen(db.session, "after_commit", _on_commit)
        event.listen(db.session, "after_rollback", _on_rollback)
