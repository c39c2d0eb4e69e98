"""GET /api/v1/outfalls/map: outfalls in a viewport, clustered on the server.

Two queries at most, whatever the number of outfalls:

1. GROUP BY the grid cell (geo.cell_size(zoom)) of every filtered outfall in the bbox:
   count and mean position per non-empty cell. The bbox is snapped outward to the grid
   first, so a cell always holds the same outfalls (stable clusters while panning, and
   the same URL for small pans when the client snaps too — map.js does, for CDN hits).
2. Only if the bbox holds at most MAP_MAX_POINTS outfalls (default 500): those outfalls as
   points with what a popup needs.

So a response holds at most geo.MAX_CELLS clusters or MAP_MAX_POINTS points. Responses are
the same in every language (codes, not labels), so they are public and cacheable by a CDN
for MAP_API_CACHE_SECONDS (default 60) without varying on the cookie or language.
"""

import json
import logging
import threading
import time
from collections import OrderedDict
from urllib.parse import quote

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..outfalls.forms import OutfallFilterForm
from ..outfalls.models import Outfall, RemediationPlan
from ..outfalls.services import OutfallFilters, filtered
from . import geo

bp = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)

GEOJSON = "application/geo+json"
# Filters the map offers; `water` and `status` of the list page are accepted too.
FILTER_PARAMS = ("type", "kind", "remediation", "region", "water", "status")

ERRORS = {
    "bbox_missing": _l("The bbox parameter is required: west,south,east,north."),
    "bbox_invalid": _l("The bbox must be four numbers: west,south,east,north."),
    "bbox_range": _l("The bbox must lie within longitude -180 to 180 and latitude -90 to 90."),
    "bbox_order": _l("The bbox must have west before east and south before north."),
    "bbox_too_large": _l("The bbox is too large for this zoom level."),
    "zoom_missing": _l("The zoom parameter is required."),
    "zoom_invalid": _l("The zoom must be a whole number from 0 to 20."),
}


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


def _error(message: str, status: int = 400):
    body = json.dumps({"error": str(message)}, ensure_ascii=False)
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.cache_control.no_store = True
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def _filters() -> OutfallFilters:
    """The validated filters, reusing the list page's form.

    Raises:
        geo.GeoError: reason "filter:<name>" for the first bad filter.
    """
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in FILTER_PARAMS])
    form = OutfallFilterForm(args)
    if not form.validate():
        raise geo.GeoError("filter:" + next(iter(form.errors)))
    return form.filters()


def _in_bbox(query, bbox: geo.BBox):
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


def _grid_query(zoom: int, filters: OutfallFilters, bbox: geo.BBox | None):
    size = geo.cell_size(zoom)
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


def _base_grid(filters: OutfallFilters) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(_grid_query(BASE_ZOOM, filters, None))]


def _remember(key: tuple, entry: tuple) -> None:
    with _grids_lock:
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

        def work():
            try:
                with app.app_context():
                    _remember(key, (time.monotonic(), {BASE_ZOOM: _base_grid(filters)}))
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
        entry = (now, {BASE_ZOOM: _base_grid(filters)})
        _remember(key, entry)
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
    """Forget the cached grids (tests; after bulk imports)."""
    with _grids_lock:
        _grids.clear()


def clusters(bbox: geo.BBox, zoom: int, filters: OutfallFilters) -> list[tuple]:
    """(count, mean lat, mean lon) per non-empty grid cell of the (snapped) bbox."""
    size = geo.cell_size(zoom)
    if zoom <= BASE_ZOOM:
        row0, row1 = geo.cell_range(bbox.south, bbox.north - size / 2, -90.0, size)
        col0, col1 = geo.cell_range(bbox.west, bbox.east - size / 2, -180.0, size)
        return [
            (n, slat / n, slon / n)
            for row, col, n, slat, slon in _cached_grid(zoom, filters)
            if row0 <= row <= row1 and col0 <= col <= col1
        ]
    return [
        (n, slat / n, slon / n)
        for _row, _col, n, slat, slon in db.session.execute(_grid_query(zoom, filters, bbox))
    ]


def points(bbox: geo.BBox, filters: OutfallFilters, limit: int) -> list:
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


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}


@bp.get("/outfalls/map")
def outfalls_map():
    """GeoJSON of the outfalls in `bbox` at `zoom`: clusters, or points when few."""
    try:
        bbox = geo.parse_bbox(request.args.get("bbox"))
        zoom = geo.parse_zoom(request.args.get("zoom"))
        filters = _filters()
        snapped, _cells = geo.check_area(bbox, zoom)
    except geo.GeoError as error:
        if error.reason.startswith("filter:"):
            return _error(_("Not a valid filter: %(name)s.", name=error.reason[7:]))
        return _error(ERRORS[error.reason])

    max_points = current_app.config.get("MAP_MAX_POINTS", 500)
    cells = clusters(snapped, zoom, filters)
    total = sum(c[0] for c in cells)
    if total <= max_points:
        mode = "points"
        prefix = url_for("outfalls.landing", code="_")[:-1]
        features = [
            {
                "type": "Feature",
                "geometry": _point(lon, lat),
                "properties": {
                    "code": code,
                    "name": name,
                    "type": l1.value,
                    "kind": kind.value,
                    "status": status.value,
                    "remediation": remediation.value if remediation else None,
                    "url": prefix + quote(code, safe=""),
                },
            }
            for code, name, l1, kind, status, lat, lon, remediation in points(
                snapped, filters, max_points
            )
        ]
    else:
        mode = "clusters"
        features = [
            {"type": "Feature", "geometry": _point(lon, lat), "properties": {"count": count}}
            for count, lat, lon in cells
        ]
    body = json.dumps(
        {
            "type": "FeatureCollection",
            "bbox": [snapped.west, snapped.south, snapped.east, snapped.north],
            "zoom": zoom,
            "mode": mode,
            "total": total,
            "features": features,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    response = current_app.response_class(body, mimetype=GEOJSON)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config.get("MAP_API_CACHE_SECONDS", 60)
    response.add_etag()
    return response.make_conditional(request)
