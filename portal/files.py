"""Which rows refer to which stored files: the one list `cleanup-files` trusts.

Each domain registers the columns that hold digests of files in a store (by its config
key), next to its models; the cleanup then keeps exactly what some committed row names.
"""

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select, union

from .core.storage import FileStore
from .extensions import db

_REFERENCES: dict[str, list] = {}
_CHUNK = 500


def register(store_setting: str, *columns) -> None:
    """Declare that `columns` hold digests of files in the store at config[store_setting]."""
    _REFERENCES.setdefault(store_setting, [])
    _REFERENCES[store_setting] += [c for c in columns if c not in _REFERENCES[store_setting]]


def referenced(store_setting: str, digests: Iterable[str]) -> set[str]:
    """Those of `digests` that a committed row of a registered column names."""
    wanted, found = sorted(digests), set()
    columns = _REFERENCES.get(store_setting, [])
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        selects = [select(c.label("sha")).where(c.in_(chunk)) for c in columns]
        if selects:
            query = selects[0] if len(selects) == 1 else union(*selects)
            found |= set(db.session.scalars(query))
    return found


def cleanup(older_than: float = 3600) -> dict:
    """Resolve every store: publish committed staged files, remove stale unreferenced ones."""
    totals = {"published": 0, "deleted": 0}
    for setting in sorted(_REFERENCES):
        store = FileStore(current_app.config[setting])
        result = store.cleanup(lambda digests, s=setting: referenced(s, digests), older_than)
        totals = {key: totals[key] + result[key] for key in totals}
    return totals
