"""Bulk writes (the inventory import's batches): what session hooks derive from each commit
(the progress rollup) waits until the bulk write ends, then is derived once.

    with bulk_write(db.session):
        ...  # many commits
    db.session.commit()  # the derived tables catch up here

If the process dies inside, the hooks' notes die with it; the derived tables are then
rebuilt by their safety net (`flask portal tick` rebuilds the rollup).
"""

from collections.abc import Iterator
from contextlib import contextmanager

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
