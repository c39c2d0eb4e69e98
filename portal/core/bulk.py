"""Bulk writes (the inventory import's batches): what session hooks derive from each commit
(the progress rollup) waits until the bulk write ends, then is derived once.

    with bulk_write(db.session):
        ...  # many commits
    db.session.commit()  # the derived tables catch up here

If the process dies inside, the hooks' notes die with it; the derived tables are then
rebuilt by their safety net (`flask portal tick` rebuilds the rollup).
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter

from sqlalchemy import insert

KEY = "bulk_write"


@contextmanager
def bulk_write(session) -> Iterator[None]:
    session.info[KEY] = session.info.get(KEY, 0) + 1
    try:
        yield
    finally:
        session.info[KEY] -= 1
        if not session.info[KEY]:
            del session.info[KEY]


def deferring(session) -> bool:
    """Inside `bulk_write`: hooks note what changed and derive nothing yet."""
    return bool(session.info.get(KEY))


# Regions whose derived figures (the progress rollup) must be recomputed at the next commit.
# The ORM's flushes note them by themselves (remediation.rollup listens); Core inserts,
# which the ORM never sees, note theirs here.
REGIONS = "derived.regions"


def note_regions(session, region_ids) -> None:
    """Rows of these regions were written behind the ORM's back (Core inserts)."""
    session.info.setdefault(REGIONS, set()).update(r for r in region_ids if r is not None)


# --- Fewer garbage collections --------------------------------------------------------------
# A bulk write allocates millions of short-lived objects (cells, row values, history dicts);
# with the default thresholds the collector runs full passes over the whole heap again and
# again (an inventory import of 20k rows spent a third of its time there). Reference
# counting frees almost all of it anyway; the few cycles wait for the collection at the end.
_GC_LOCK = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] | None = None
BULK_GC_THRESHOLD = (100_000, 50, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the collector's thresholds for the duration (process-wide, nested and
    concurrent uses share one setting; the last one out restores the old thresholds)."""
    global _gc_users, _gc_saved
    with _GC_LOCK:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*BULK_GC_THRESHOLD)
        _gc_users += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_users -= 1
            if _gc_users == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)
                _gc_saved = None


# --- Inserts of many rows ------------------------------------------------------------------


def insert_rows(session, table, rows: list[dict]) -> None:
    """INSERT `rows` (dicts with the same keys) into `table` in one executemany, each value
    bound by its column type's own processor, as `session.execute(insert(table), rows)`
    does, without the per-row parameter machinery around it (a fifth of an import's insert
    time). The values are gathered and bound column by column, in C loops (`map`); a
    column holding one value throughout (a batch's moment, its reason) is bound once.
    Tables whose omitted columns have Python-side defaults go the usual way."""
    if not rows:
        return
    keys = list(rows[0])
    if any(c.default is not None and c.key not in rows[0] for c in table.columns):
        session.execute(insert(table), rows)
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    names = list(compiled.positiontup) if compiled.positional else keys
    columns = []
    for name in names:
        values = list(map(itemgetter(name), rows))
        proc = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            first = values[0]
            if values.count(first) == len(values):  # one value throughout: bound once
                values = [proc(first)] * len(values)
            else:
                values = list(map(proc, values))
        columns.append(values)
    params: list = list(zip(*columns, strict=True))
    if not compiled.positional:
        params = [dict(zip(names, values, strict=True)) for values in params]
    connection.exec_driver_sql(compiled.string, params)
