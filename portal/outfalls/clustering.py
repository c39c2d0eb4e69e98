"""Server-side clustering of the outfall map: a grid of cells per zoom, counted in SQL.

Two queries at most, whatever the number of outfalls:

1. GROUP BY the grid cell (grid.cell_size(zoom)) of every filtered outfall in the bbox:
   count and mean position per non-empty cell. The bbox is snapped outward to the grid
   first, so a cell always holds the same outfalls (stable clusters while panning, and
   the same URL for small pans when the client snaps too — map.js does, for CDN hits).
2. Only if the bbox holds few enough outfalls: those outfalls as points with what a
   popup needs.

Grids at low zooms are cached in memory per process (stale-while-revalidate, refreshed
by a thread); the map page starts computing the one its first data request will need.
"""

import logging
import threading
import time
from collections import OrderedDict

from flask import current_app
from sqlalchemy import Integer, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from . import grid
from .models import Outfall, RemediationPlan
from .services import OutfallFilters, filtered

log = logging.getLogger(__name__)


class cell_index(FunctionElement):
    """floor() of a non-negative number, portable: SQLite may lack floor() (< 3.35 or
    built without math functions), and CAST to integer truncates, which is floor for
    x >= 0. PostgreSQL's CAST rounds, so it gets floor()."""

    type = Integer()
    inherit_cache = True
    name = "cell_index"


@compiles(cell_index)
def _cell_index_default(element, compiler, **kw):
    return f"floor({compiler.process(element.clauses, **kw)})"


@compiles(cell_index, "sqlite")
def _cell_index_sqlite(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


def _in_bbox(query, bbox: grid.BBox):
    """query narrowed to outfalls inside the bbox."""
    return query.where(
        Outfall.lat.between(bbox.south, bbox.north), Outfall.lon.between(bbox.west, bbox.east)
    )


# Zooms up to BASE_ZOOM cover many outfalls per viewport (a province is all of them), so
# their grids come from one GROUP BY over every outfall at BASE_ZOOM per filter set, kept
# in memory for MAP_API_CACHE_SECONDS; coarser grids merge its cells (the grid nests:
# a cell at zoom z is exactly 2 × 2 cells at z + 1). Finer zooms query their bbox.
BASE_ZOOM = 12
_GRID_CACHE_SIZE = 64
_grids: "OrderedDict[tuple, tuple[float, dict[int, list[tuple]]]]" = OrderedDict()
_grids_lock = threading.Lock()
_refreshing: dict[tuple, threading.Thread] = {}
# How long a data request waits for a grid another thread is computing.
GRID_WAIT_SECONDS = 5.0


def _grid_query(zoom: int, filters: OutfallFilters, bbox: grid.BBox | None):
    size = grid.cell_size(zoom)
    # Constants inline (not bound) so SELECT and GROUP BY are the same expression on
    # PostgreSQL; `size` is computed here, never taken from the request.
    row = cell_index((Outfall.lat + literal_column("90.0")) / literal_column(repr(size)))
    col = cell_index((Outfall.lon + literal_column("180.0")) / literal_column(repr(size)))
    query = select(row, col, func.count(), func.sum(Outfall.lat), func.sum(Outfall.lon))
    if bbox is not None:
        query = _in_bbox(query, bbox)
    else:
        query = query.where(Outfall.lat.is_not(None), Outfall.lon.is_not(None))
    return filtered(query, filters).group_by(row, col)


def base_grid(filters: OutfallFilters) -> list[tuple]:
    """Every non-empty cell at BASE_ZOOM of the filtered outfalls: one GROUP BY."""
    return [tuple(r) for r in db.session.execute(_grid_query(BASE_ZOOM, filters, None))]


# Bumped by clear_grid_cache: a grid computed from the registry before a change is
# dropped instead of stored when it finishes after the change was noticed.
_generation = 0


def _remember(key: tuple, entry: tuple, generation: int | None = None) -> None:
    with _grids_lock:
        if generation is not None and generation != _generation:
            return
        _grids[key] = entry
        while len(_grids) > _GRID_CACHE_SIZE:
            _grids.popitem(last=False)


def _grid_key(filters: OutfallFilters) -> tuple:
    return tuple(sorted(filters.as_args().items()))


def _refresh_in_background(key: tuple, filters: OutfallFilters) -> None:
    """Compute a grid off the request path (one thread per key at a time)."""
    with _grids_lock:
        if key in _refreshing:
            return
        app = current_app._get_current_object()
        generation = _generation

        def work():
            try:
                with app.app_context():
                    entry = (time.monotonic(), {BASE_ZOOM: base_grid(filters)})
                    _remember(key, entry, generation)
            except Exception:  # noqa: BLE001 - a stale grid stays; the next request retries
                log.exception("computing the map grid %r failed", key)
            finally:
                with _grids_lock:
                    _refreshing.pop(key, None)

        thread = threading.Thread(target=work, name="map-grid-refresh", daemon=True)
        _refreshing[key] = thread
        thread.start()


def prepare_grid(filters: OutfallFilters) -> None:
    """Start computing the grid the map page's first data request will need, if missing.

    The page is served while the GROUP BY runs; by the time the browser has loaded Leaflet
    and asks for data, the grid is usually ready (or the request waits for this thread
    instead of running the same query a second time).
    """
    key = _grid_key(filters)
    with _grids_lock:
        if key in _grids:
            return
    _refresh_in_background(key, filters)


def _cached_grid(zoom: int, filters: OutfallFilters) -> list[tuple]:
    """Every non-empty cell at `zoom` <= BASE_ZOOM: (row, col, count, sum lat, sum lon).

    Stale-while-revalidate: for one more MAP_API_CACHE_SECONDS after expiry the old grid
    answers while a thread computes the new one, so only a worker's very first request
    for a filter set waits for the GROUP BY over every outfall.
    """
    key = _grid_key(filters)
    ttl = current_app.config.get("MAP_API_CACHE_SECONDS", 60)
    now = time.monotonic()
    with _grids_lock:
        entry = _grids.get(key)
        running = _refreshing.get(key)
    if entry is None and running is not None:
        running.join(GRID_WAIT_SECONDS)  # the map page started it: wait, don't repeat it
        with _grids_lock:
            entry = _grids.get(key)
    if entry is not None and now - entry[0] > ttl:
        if now - entry[0] <= 2 * ttl:
            _refresh_in_background(key, filters)
        else:
            entry = None
    if entry is None:
        generation = _generation
        entry = (now, {BASE_ZOOM: base_grid(filters)})
        _remember(key, entry, generation)
    levels = entry[1]
    if zoom not in levels:
        shift = BASE_ZOOM - zoom
        merged: dict[tuple[int, int], list] = {}
        for row, col, count, slat, slon in levels[BASE_ZOOM]:
            cell = merged.setdefault((int(row) >> shift, int(col) >> shift), [0, 0.0, 0.0])
            cell[0] += count
            cell[1] += slat
            cell[2] += slon
        levels[zoom] = [(r, c, n, a, b) for (r, c), (n, a, b) in merged.items()]
    return levels[zoom]


def clear_grid_cache() -> None:
    """Forget the cached grids (the registry changed; tests)."""
    global _generation
    with _grids_lock:
        _generation += 1
        _grids.clear()


def clusters(bbox: grid.BBox, zoom: int, filters: OutfallFilters) -> list[tuple]:
    """(count, mean lat, mean lon) per non-empty grid cell of the (snapped) bbox."""
    size = grid.cell_size(zoom)
    if zoom <= BASE_ZOOM:
        row0, row1 = grid.cell_range(bbox.south, bbox.north - size / 2, -90.0, size)
        col0, col1 = grid.cell_range(bbox.west, bbox.east - size / 2, -180.0, size)
        return [
            (n, slat / n, slon / n)
            for row, col, n, slat, slon in _cached_grid(zoom, filters)
            if row0 <= row <= row1 and col0 <= col <= col1
        ]
    return [
        (n, slat / n, slon / n)
        for _row, _col, n, slat, slon in db.session.execute(_grid_query(zoom, filters, bbox))
    ]


def points(bbox: grid.BBox, filters: OutfallFilters, limit: int) -> list:
    """Up to limit filtered outfalls in the bbox, by code, with what a popup shows."""
    query = select(
        Outfall.code,
        Outfall.name,
        Outfall.category_l1,
        Outfall.water_kind,
        Outfall.status,
        Outfall.lat,
        Outfall.lon,
        RemediationPlan.status,
    ).outerjoin(RemediationPlan, RemediationPlan.outfall_id == Outfall.id)
    query = filtered(_in_bbox(query, bbox), filters).order_by(Outfall.code).limit(limit)
    return list(db.session.execute(query))
