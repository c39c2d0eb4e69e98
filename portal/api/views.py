"""GET /api/v1/outfalls/map: outfalls in a viewport, clustered on the server.

The view parses the bbox, zoom and filters, asks outfalls.clustering for the clusters
(and, when the bbox holds at most MAP_MAX_POINTS outfalls, default 500, for the points)
and writes them as GeoJSON. In points mode, outfalls whose markers would overlap at the
zoom (grid.overlap_groups) are one cluster feature listing them under "outfalls".

So a response holds at most grid.MAX_CELLS clusters or MAP_MAX_POINTS points. Responses are
the same in every language (codes, not labels), so they are public and cacheable by a CDN
for MAP_API_CACHE_SECONDS (default 60) without varying on the cookie or language.
"""

import json
from urllib.parse import quote

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from ..core.jsontext import compact_json
from ..outfalls import clustering, grid
from ..outfalls.forms import OutfallFilterForm
from ..outfalls.services import OutfallFilters

bp = Blueprint("api", __name__, url_prefix="/api/v1")

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
        grid.GeoError: reason "filter:<name>" for the first bad filter.
    """
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in FILTER_PARAMS])
    form = OutfallFilterForm(args)
    if not form.validate():
        raise grid.GeoError("filter:" + next(iter(form.errors)))
    return form.filters()


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}


@bp.get("/outfalls/map")
def outfalls_map():
    """GeoJSON of the outfalls in `bbox` at `zoom`: clusters, or points when few."""
    try:
        bbox = grid.parse_bbox(request.args.get("bbox"))
        zoom = grid.parse_zoom(request.args.get("zoom"))
        filters = _filters()
        snapped, _cells = grid.check_area(bbox, zoom)
    except grid.GeoError as error:
        if error.reason.startswith("filter:"):
            return _error(_("Not a valid filter: %(name)s.", name=error.reason[7:]))
        return _error(ERRORS[error.reason])

    max_points = current_app.config.get("MAP_MAX_POINTS", 500)
    cells = clustering.clusters(snapped, zoom, filters)
    total = sum(c[0] for c in cells)
    if total <= max_points:
        mode = "points"
        prefix = url_for("outfalls.landing", code="_")[:-1]
        rows = clustering.points(snapped, filters, max_points)
        props = [
            {
                "code": code,
                "name": name,
                "type": l1.value,
                "kind": kind.value,
                "status": status.value,
                "remediation": remediation.value if remediation else None,
                "url": prefix + quote(code, safe=""),
            }
            for code, name, l1, kind, status, _lat, _lon, remediation in rows
        ]
        features = []
        # Markers that would overlap at this zoom become one cluster that still lists
        # its outfalls (the list under the map shows them all).
        for group in grid.overlap_groups([(r[5], r[6]) for r in rows], zoom):
            if len(group) == 1:
                i = group[0]
                features.append(
                    {
                        "type": "Feature",
                        "geometry": _point(rows[i][6], rows[i][5]),
                        "properties": props[i],
                    }
                )
                continue
            lat = sum(rows[i][5] for i in group) / len(group)
            lon = sum(rows[i][6] for i in group) / len(group)
            features.append(
                {
                    "type": "Feature",
                    "geometry": _point(lon, lat),
                    "properties": {"count": len(group), "outfalls": [props[i] for i in group]},
                }
            )
    else:
        mode = "clusters"
        # Neighbouring cells whose icons would touch on screen are one cluster.
        groups = grid.overlap_groups(
            [(lat, lon) for _n, lat, lon in cells],
            zoom,
            grid.CLUSTER_OVERLAP_PX,
            weights=[n for n, _lat, _lon in cells],
            cluster_px=grid.CLUSTER_OVERLAP_PX,
        )
        features = []
        for group in groups:
            count = sum(cells[i][0] for i in group)
            lat = sum(cells[i][0] * cells[i][1] for i in group) / count
            lon = sum(cells[i][0] * cells[i][2] for i in group) / count
            features.append(
                {"type": "Feature", "geometry": _point(lon, lat), "properties": {"count": count}}
            )
    return geojson(
        {
            "type": "FeatureCollection",
            "bbox": [snapped.west, snapped.south, snapped.east, snapped.north],
            "zoom": zoom,
            "mode": mode,
            "total": total,
            "features": features,
        }
    )


def geojson(payload: dict):
    """A public, cacheable GeoJSON response (the same in every language) with an ETag."""
    body = compact_json(payload)
    response = current_app.response_class(body, mimetype=GEOJSON)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config.get("MAP_API_CACHE_SECONDS", 60)
    response.add_etag()
    return response.make_conditional(request)
