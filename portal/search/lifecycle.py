"""The index's lifecycle: open, rebuild, keep current, repair. The database is the truth.

One index per directory, one searcher per process (refreshed when a commit changed the
index, reopened when `reindex` swapped the directory). A missing or unreadable index is
rebuilt from the database: by a command here and now, while serving requests in a
background thread (IndexUnavailable meanwhile), and by one process at a time (a file
lock beside the directory). Changes made while it is rebuilt wait in a pending set.
"""

import fcntl
import gc
import logging
import os
import shutil
import threading
import uuid
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, has_request_context
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.query import And, Term
from whoosh.scoring import Frequency
from whoosh.writing import AsyncWriter

from ..outfalls import changes
from . import documents
from .schema import make_schema

log = logging.getLogger(__name__)


def open_or_create(directory: str):
    """Open the index in directory, creating an empty one if there is none."""
    os.makedirs(directory, exist_ok=True)
    if whoosh_index.exists_in(directory):
        return whoosh_index.open_dir(directory)
    return whoosh_index.create_in(directory, make_schema())


@contextmanager
def _rebuild_lock(directory: str, *, wait: bool) -> Iterator[bool]:
    """The index's rebuild lock, shared by every process; yields whether it is held.

    Two workers finding the same index broken must not both spend minutes rebuilding it.
    """
    directory = os.path.abspath(directory)
    os.makedirs(os.path.dirname(directory), exist_ok=True)
    with open(f"{directory}.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def rebuild(session: Session, directory: str, *, procs: int = 1) -> int:
    """Build a fresh index from the database beside directory, then swap it in.

    With procs > 1, that many processes analyse documents side by side and each writes its
    own segment (no merge): 100k outfalls in about 2 instead of 4 minutes on two cores. Only
    for a single-threaded process such as a command: forking a process that serves requests
    on several threads can copy a lock another thread holds.
    """
    with _rebuild_lock(directory, wait=True):
        return _rebuild(session, directory, procs=procs)


def _rebuild(session: Session, directory: str, *, procs: int = 1) -> int:
    directory = os.path.abspath(directory)
    tmp = f"{directory}.new-{uuid.uuid4().hex[:8]}"
    os.makedirs(tmp)
    count = 0
    try:
        # Taken before the registry is read: what commits meanwhile is caught up later.
        mark = changes.head(session)
        ix = whoosh_index.create_in(tmp, make_schema())
        if procs > 1:
            writer = ix.writer(
                procs=procs, multisegment=True, limitmb=max(64, 256 // procs), batchsize=500
            )
        else:
            writer = ix.writer(limitmb=256, procs=1, multisegment=False)
        try:
            for doc in documents.outfall_docs(session):
                writer.add_document(**doc)
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        write_mark(tmp, mark)
        old = f"{directory}.old-{uuid.uuid4().hex[:8]}"
        if os.path.exists(directory):
            os.rename(directory, old)
        os.rename(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    drop(directory)
    log.info("search index rebuilt: %d outfalls in %s", count, directory)
    return count


MARK_FILE = "portal-changes.json"


def write_mark(directory: str, mark: changes.Mark) -> None:
    """Record in the index directory how far of the change sequence it holds (catchup.py)."""
    import json

    path = os.path.join(directory, MARK_FILE)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(mark.as_json(), fh)
    os.replace(tmp, path)


def _searcher(ix):
    """Scores are sums of posting weights (see JiebaTokenizer): a word in the name counts 4,
    in the water body 2 … No per-document length normalisation, so a posting block's best
    possible score is known in advance: once a page is full, whoosh skips every block that
    cannot beat it instead of scoring the thousands of outfalls a common word matches."""
    return ix.searcher(weighting=Frequency())


class Holder:
    """An open index, its searcher and the filter sets read through that searcher."""

    def __init__(self, ix, inode: int):
        self.ix = ix
        self.inode = inode
        self.renew()

    def renew(self) -> None:
        """A searcher on the latest commit, and no filter sets from the previous one."""
        self.searcher = _searcher(self.ix)
        self.filters: dict[tuple, set[int]] = {}

    def filter_docs(self, args: dict[str, str]) -> set[int] | None:
        """Document numbers whose fields have these values, computed once per searcher.

        A filter term such as type=GY matches tens of thousands of documents; reading its
        posting list on every query would cost more than the query itself.
        """
        if not args:
            return None
        key = tuple(sorted(args.items()))
        docs = self.filters.get(key)
        if docs is None:
            terms = [Term(k, v) for k, v in key]
            docs = set(self.searcher.docs_for_query(And(terms)))
            if len(self.filters) >= 64:
                self.filters.clear()
            self.filters[key] = docs
        return docs


_holders: dict[str, Holder] = {}
_lock = threading.RLock()


def _inode(directory: str) -> int:
    try:
        return os.stat(directory).st_ino
    except OSError:
        return -1


def drop(directory: str) -> None:
    """Close and forget this process's searcher on directory; the next use reopens it."""
    with _lock:
        holder = _holders.pop(os.path.abspath(directory), None)
    if holder is not None:
        try:
            holder.searcher.close()
        except Exception:  # noqa: BLE001 - closing a broken searcher may fail too
            pass


def _session_factory():
    from ..extensions import db

    return Session(bind=db.engine)


def describe(exc: BaseException) -> str:
    """The exception and its traceback as text (logging the object would keep it alive)."""
    import traceback

    return "".join(traceback.format_exception(exc)).strip()


@contextmanager
def quiet_leaks(failed: bool = True):
    """Whoosh leaves files open when it chokes on a corrupt one; close them quietly.

    Only used on the failure and open paths, never per query (catch_warnings is global).
    The block sets `state["failed"]` to say whether it failed: only then is a full garbage
    collection (about 0.1 s in a big process) worth its cost.
    """
    state = {"failed": failed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            yield state
        except BaseException:
            state["failed"] = True
            raise
        finally:
            if state["failed"]:
                gc.collect()


class IndexUnavailable(Exception):
    """The index is missing or unreadable and is being rebuilt in the background."""


_rebuilds: dict[str, threading.Thread] = {}
# Outfalls changed while the index was being rebuilt: written once it is back.
_pending: dict[str, set[int]] = {}


def _rebuild_in_background(app, directory: str) -> None:
    try:
        with app.app_context(), _rebuild_lock(directory, wait=False) as mine:
            if not mine:
                return  # another process is rebuilding it
            with _session_factory() as session:
                _rebuild(session, directory)
            with _lock:
                pending = _pending.pop(directory, set())
            if pending:
                upsert(pending, directory=directory)
    except Exception:  # noqa: BLE001 - the next search tries again
        log.exception("rebuilding the search index at %s failed", directory)


def repair(directory: str, reason: str, *, background: bool | None = None) -> None:
    """Rebuild the index from the database.

    Serving a request, the rebuild runs in a thread (at 100k outfalls it takes minutes,
    far beyond any request timeout) and IndexUnavailable tells the caller to make do;
    elsewhere (commands) it runs here and now.
    """
    directory = os.path.abspath(directory)
    log.warning("search index at %s %s; rebuilding from the database", directory, reason)
    if background is None:
        background = has_request_context()
    if not background:
        with _session_factory() as session:
            rebuild(session, directory)
        return
    with _lock:
        thread = _rebuilds.get(directory)
        if thread is None or not thread.is_alive():
            thread = threading.Thread(
                target=_rebuild_in_background,
                args=(current_app._get_current_object(), directory),
                name="search-rebuild",
                daemon=True,
            )
            _rebuilds[directory] = thread
            thread.start()
    raise IndexUnavailable(directory)


def rebuilding(directory: str | None = None) -> bool:
    """Whether another thread of this process is rebuilding the index."""
    thread = _rebuilds.get(os.path.abspath(index_dir(directory)))
    return thread is not None and thread.is_alive() and thread is not threading.current_thread()


def wait_for_rebuilds(timeout: float | None = None) -> None:
    """Let background rebuilds finish (tests; a clean shutdown)."""
    for thread in list(_rebuilds.values()):
        thread.join(timeout)


def _open_holder(directory: str) -> Holder | None:
    """Open the index, rebuilt first if missing or of another version; None if unreadable."""
    if not os.path.isdir(directory) or not any(n.endswith(".toc") for n in os.listdir(directory)):
        repair(directory, "is missing")
    try:
        ix = whoosh_index.open_dir(directory)
        if sorted(ix.schema.names()) != sorted(make_schema().names()):
            # Built by an earlier version of the portal: rebuild with today's fields.
            ix.close()
            repair(directory, "has another version's fields")
            ix = whoosh_index.open_dir(directory)
        return Holder(ix, _inode(directory))
    except IndexUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file means: rebuild
        # Log text only: keeping the traceback would keep whoosh's open files alive.
        log.error("search index at %s cannot be opened: %s", directory, describe(exc))
        return None


def holder_for(directory: str) -> Holder:
    """The process's index and searcher for directory.

    Raises:
        IndexUnavailable: the index is being rebuilt in the background (requests only).
    """
    directory = os.path.abspath(directory)
    with _lock:
        holder = _holders.get(directory)
        if holder is not None and holder.inode == _inode(directory):
            if not holder.searcher.up_to_date():
                # Not searcher.refresh(): in whoosh-reloaded 2.7.5 it reuses segment
                # readers with their old deletion sets, so updated documents show twice.
                # The old searcher is left to the garbage collector (another thread may
                # still be reading it).
                holder.renew()
            return holder
        if holder is not None:
            drop(directory)
        if rebuilding(directory):
            raise IndexUnavailable(directory)
        with quiet_leaks(failed=False) as leaks:
            holder = _open_holder(directory)
            leaks["failed"] = holder is None
        if holder is None:
            repair(directory, "is corrupt")
            holder = Holder(whoosh_index.open_dir(directory), _inode(directory))
        _holders[directory] = holder
        pending = _pending.pop(directory, set())
    if pending:
        upsert(pending, directory=directory)
        holder.renew()
    return holder


def index_dir(directory: str | None) -> str:
    """directory, or the app's SEARCH_INDEX_DIR when None."""
    if directory:
        return directory
    return current_app.config["SEARCH_INDEX_DIR"]


def _index_or_defer(ids: set[int], directory: str | None):
    """The index to write these outfalls to; None if there are none, or if the index is
    being rebuilt: then they wait in the pending set and reach the new index once it is
    back."""
    if not ids:
        return None
    directory = index_dir(directory)
    try:
        return holder_for(directory).ix
    except IndexUnavailable:
        with _lock:
            _pending.setdefault(os.path.abspath(directory), set()).update(ids)
        return None


def upsert(ids: Iterable[int], session: Session | None = None, directory: str | None = None):
    """(Re)write the documents of these outfalls; ids no longer in the database are deleted."""
    ids = set(ids)
    ix = _index_or_defer(ids, directory)
    if ix is None:
        return
    own = session is None
    session = session or _session_factory()
    try:
        writer = AsyncWriter(ix)
        found = set()
        for doc in documents.outfall_docs(session, ids):
            found.add(int(doc["id"]))
            writer.update_document(**doc)
        for missing in ids - found:
            writer.delete_by_term("id", str(missing))
        writer.commit()
    finally:
        if own:
            session.close()


def delete(ids: Iterable[int], directory: str | None = None) -> None:
    """Remove these outfalls' documents."""
    ids = set(ids)
    ix = _index_or_defer(ids, directory)
    if ix is None:
        return
    writer = AsyncWriter(ix)
    for i in ids:
        writer.delete_by_term("id", str(i))
    writer.commit()


def reset() -> None:
    """Forget every open index (tests, or after a fork)."""
    for directory in list(_holders):
        drop(directory)


def default_dir(instance_path: str) -> str:
    """Where the index lives unless SEARCH_INDEX_DIR says otherwise."""
    return str(Path(instance_path) / "search_index")
