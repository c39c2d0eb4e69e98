"""A node's search index catches up from the change sequence (outfalls.changes).

The index records how far it has applied the sequence in a small file inside its own
directory (`portal-changes.json`, a `changes.Mark`), written by `rebuild` with the mark
taken before it read the registry and advanced here after each batch of changes is
written. Every worker of the node shares the directory; a file lock beside it lets one at
a time catch up, the others find the mark already advanced. An edit committed on another
node, or by the import (which may bypass the ORM hooks), reaches this index through here.
"""

import fcntl
import json
import logging
import os
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ..outfalls import changes
from . import hooks, lifecycle

log = logging.getLogger(__name__)

MARK_FILE = lifecycle.MARK_FILE
# More outfalls than this in one catch-up: rebuild the index instead (in the background
# when serving a request; the database answers searches meanwhile).
REBUILD_FROM = 5000


def read_mark(directory: str) -> changes.Mark | None:
    """The mark of the index in directory; None if it has none (or an unreadable one)."""
    try:
        with open(os.path.join(directory, MARK_FILE), encoding="utf-8") as fh:
            return changes.Mark.from_json(json.load(fh))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def _catchup_lock(directory: str):
    """Held by one process of the node at a time; yields whether this one holds it."""
    directory = os.path.abspath(directory)
    with open(f"{directory}.catchup.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def catch_up(
    session: Session, directory: str, *, background: bool = False, now: float | None = None
) -> int | None:
    """Write the outfalls changed since the index's mark, then advance the mark.

    background: serving a request, a rebuild runs in a thread (see lifecycle.repair).
    Returns how many outfalls were rewritten; None if nothing was done: no index here yet
    (the rebuild that creates it writes a mark), another process of the node is at it, or
    the changes were so many that a rebuild was started instead.
    """
    directory = os.path.abspath(directory)
    if not os.path.isdir(directory) or lifecycle.rebuilding(directory):
        return None
    with _catchup_lock(directory) as mine:
        if not mine:
            return None
        mark = read_mark(directory)
        if mark is None:
            # Built before the index kept a mark: what it missed is unknown.
            _rebuild(directory, "has no change mark", background)
            return None
        found = changes.since(session, mark)
        if not found:
            return 0
        touched = changes.touched(found)
        pending = {
            "outfalls": touched.outfalls,
            "entities": touched.entities,
            "waters": touched.waters,
            "regions": touched.regions,
        }
        ids = hooks.affected(session, pending)
        if len(ids) > REBUILD_FROM:
            _rebuild(directory, f"missed {len(ids)} changed outfalls", background)
            return None
        lifecycle.upsert(ids, session=session, directory=directory)
        lifecycle.write_mark(directory, changes.advance(mark, found, now))
        return len(ids)


def _rebuild(directory: str, reason: str, background: bool) -> None:
    try:
        lifecycle.repair(directory, reason, background=background)
    except lifecycle.IndexUnavailable:
        pass  # rebuilding in the background; searches use the database meanwhile
