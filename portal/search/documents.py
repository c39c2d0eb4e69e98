"""Index documents built from database rows: one dict of whoosh fields per outfall."""

from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.codes import normalise_code
from ..geo.models import Region, WaterBody
from ..outfalls.models import Entity, Outfall, OutfallResponsibility
from .analysis import pinyin_keywords, weighted_parts

BATCH = 2000


def region_names(session: Session) -> dict[int, str]:
    """Each region with its parents ("钦南区 钦州市 广西壮族自治区"): one query."""
    rows = {
        rid: (name, parent)
        for rid, name, parent in session.execute(select(Region.id, Region.name, Region.parent_id))
    }
    out = {}
    for rid in rows:
        names, cur, hops = [], rid, 0
        while cur is not None and cur in rows and hops < 6:
            names.append(rows[cur][0])
            cur, hops = rows[cur][1], hops + 1
        out[rid] = " ".join(names)
    return out


def outfall_docs(session: Session, ids: Iterable[int] | None = None) -> Iterator[dict]:
    """Index documents of the given outfalls (all when ids is None), a few queries per batch."""
    regions = region_names(session)
    waters = dict(session.execute(select(WaterBody.id, WaterBody.name)).all())
    cols = (
        Outfall.id,
        Outfall.code,
        Outfall.local_code,
        Outfall.name,
        Outfall.category_l1,
        Outfall.water_kind,
        Outfall.address,
        Outfall.region_id,
        Outfall.water_body_id,
        Outfall.management_entity_id,
        Outfall.seg_water,
        Outfall.seg_region,
        Outfall.seg_type,
        Outfall.seg_serial,
    )
    if ids is None:
        last = 0
        while True:
            rows = session.execute(
                select(*cols).where(Outfall.id > last).order_by(Outfall.id).limit(BATCH)
            ).all()
            if not rows:
                return
            yield from _batch_docs(session, rows, regions, waters)
            last = rows[-1].id
    else:
        wanted = sorted(set(ids))
        for i in range(0, len(wanted), BATCH):
            chunk = wanted[i : i + BATCH]
            rows = session.execute(select(*cols).where(Outfall.id.in_(chunk))).all()
            yield from _batch_docs(session, rows, regions, waters)


def _batch_docs(session, rows, regions, waters) -> Iterator[dict]:
    """The documents of one batch of rows: their entities' names in two queries."""
    outfall_ids = [r.id for r in rows]
    entity_names: dict[int, list[str]] = {}
    for oid, name in session.execute(
        select(OutfallResponsibility.outfall_id, Entity.name)
        .join(Entity, Entity.id == OutfallResponsibility.entity_id)
        .where(OutfallResponsibility.outfall_id.in_(outfall_ids))
    ):
        entity_names.setdefault(oid, []).append(name)
    manager_ids = {r.management_entity_id for r in rows if r.management_entity_id}
    managers = (
        dict(
            session.execute(select(Entity.id, Entity.name).where(Entity.id.in_(manager_ids))).all()
        )
        if manager_ids
        else {}
    )
    for r in rows:
        names = list(entity_names.get(r.id, []))
        if r.management_entity_id in managers and managers[r.management_entity_id] not in names:
            names.append(managers[r.management_entity_id])
        entity = " ".join(names)
        water = waters.get(r.water_body_id, "")
        region = regions.get(r.region_id, "")
        codes = {
            r.code,
            normalise_code(r.local_code or ""),
            r.seg_water,
            r.seg_region,
            (r.seg_type or "") + (r.seg_serial or ""),
        }
        yield dict(
            id=str(r.id),
            code=" ".join(sorted(c for c in codes if c)),
            name=r.name,
            water=water,
            entity=entity,
            region=region,
            address=r.address or "",
            all=weighted_parts(r.name, water, entity, region, r.address or ""),
            pinyin=pinyin_keywords(r.name, water, entity, region),
            type=str(r.category_l1.value if hasattr(r.category_l1, "value") else r.category_l1),
            kind=str(r.water_kind.value if hasattr(r.water_kind, "value") else r.water_kind),
        )
