"""Keep the index current: collect changed rows in after_flush, write them after commit.

Only ORM changes are seen; Core bulk loads (demo, synth) are followed by `flask portal
reindex`.
"""

import logging

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..geo.models import Region, WaterBody
from ..outfalls.models import Entity, Outfall, OutfallResponsibility
from . import lifecycle

log = logging.getLogger(__name__)

KEY = "search_pending"
# In app.extensions once init_app ran: whether this app indexes after each commit.
EXTENSION_KEY = "portal_search"
_connected = False


def _pending(session) -> dict[str, set[int]]:
    return session.info.setdefault(
        KEY, {"outfalls": set(), "entities": set(), "waters": set(), "regions": set()}
    )


def _enabled() -> bool:
    return (
        has_app_context()
        and bool(current_app.extensions.get(EXTENSION_KEY))
        and current_app.config.get("SEARCH_AUTO_INDEX", True)
    )


def after_flush(session, _flush_context) -> None:
    if not _enabled():
        return
    pending = _pending(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Outfall):
            if obj.id is not None:
                pending["outfalls"].add(obj.id)
        elif isinstance(obj, OutfallResponsibility):
            if obj.outfall_id is not None:
                pending["outfalls"].add(obj.outfall_id)
        elif isinstance(obj, Entity):
            pending["entities"].add(obj.id)
        elif isinstance(obj, WaterBody):
            pending["waters"].add(obj.id)
        elif isinstance(obj, Region):
            pending["regions"].add(obj.id)


def outfalls_changed(session, ids) -> None:
    """Outfalls written by a bulk insert (no ORM flush sees them): index them after commit."""
    if _enabled():
        _pending(session)["outfalls"].update(ids)


def affected(session: Session, pending: dict[str, set[int]]) -> set[int]:
    """The outfalls whose documents show these outfalls, entities, waters and regions."""
    ids = set(pending["outfalls"])
    if pending["entities"]:
        ents = pending["entities"]
        ids.update(
            session.scalars(select(Outfall.id).where(Outfall.management_entity_id.in_(ents)))
        )
        ids.update(
            session.scalars(
                select(OutfallResponsibility.outfall_id).where(
                    OutfallResponsibility.entity_id.in_(ents)
                )
            )
        )
    if pending["waters"]:
        ids.update(
            session.scalars(select(Outfall.id).where(Outfall.water_body_id.in_(pending["waters"])))
        )
    if pending["regions"]:
        regions = set(pending["regions"])
        # Child regions carry their parents' names too.
        children = set(session.scalars(select(Region.id).where(Region.parent_id.in_(regions))))
        while children - regions:
            regions |= children
            children = set(session.scalars(select(Region.id).where(Region.parent_id.in_(regions))))
        ids.update(session.scalars(select(Outfall.id).where(Outfall.region_id.in_(regions))))
    return ids


def after_commit(session) -> None:
    pending = session.info.pop(KEY, None)
    if not pending or not any(pending.values()) or not _enabled():
        return
    # The committed session cannot emit SQL here: read through a session of its own.
    try:
        with Session(bind=db.engine) as reader:
            ids = affected(reader, pending)
            lifecycle.upsert(ids, session=reader)
    except Exception:  # noqa: BLE001 - the commit succeeded; the index is only a cache
        log.exception("search index update failed; run `flask portal reindex`")


def after_rollback(session) -> None:
    session.info.pop(KEY, None)


def init_app(app) -> None:
    """Listen on the app's scoped session once per process."""
    global _connected
    if _connected:
        return
    event.listen(db.session, "after_flush", after_flush)
    event.listen(db.session, "after_commit", after_commit)
    event.listen(db.session, "after_soft_rollback", lambda s, _t: after_rollback(s))
    event.listen(db.session, "after_rollback", after_rollback)
    _connected = True
