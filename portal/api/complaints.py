"""GET /api/v1/complaints/map: public complaint summaries in a viewport, as GeoJSON.

The newest MAP_MAX_POINTS (300) reports inside the bbox (with the public list's filters),
each at its rounded (~100 m) place, with its tracking number, category, status and channel
codes: never the reporter, the exact point or the description. The same in every language,
so public and cacheable like the outfall map's data.
"""

from flask import current_app, request, url_for
from werkzeug.datastructures import MultiDict

from ..complaints import record
from ..complaints.record_forms import RecordFilterForm
from ..core.clock import local_today
from ..core.errors import UserError
from ..core.periods import PeriodError, parse_period
from ..forms import labelled_errors
from ..i18n import datetime_attr
from ..outfalls import grid
from .views import ERRORS, _error, bp, geojson

# The list's filters; a page cursor means nothing here.
FILTER_PARAMS = ("status", "category", "region", "water", "outfall", "department", "period")
MAP_PERIODS = frozenset({"all", "days", "12m", "year", "month"})


def _filters() -> record.RecordFilters:
    """The validated filters of the public list.

    Raises:
        UserError: the first bad filter, translated.
    """
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in FILTER_PARAMS])
    form = RecordFilterForm(args)
    if not form.validate():
        raise UserError(labelled_errors(form)[0], next(iter(form.errors)))
    query = form.query()
    try:
        period = parse_period(query.period, local_today(), allowed=MAP_PERIODS)
    except PeriodError:
        raise UserError(f"{form.period.label.text}: {record.period_error()}", "period") from None
    try:
        return record.resolve(query, period)
    except UserError as error:
        raise UserError(f"{form[error.field].label.text}: {error}", error.field) from None


@bp.get("/complaints/map")
def complaints_map():
    """GeoJSON points of the newest public complaint summaries in `bbox`."""
    try:
        bbox = grid.parse_bbox(request.args.get("bbox"))
    except grid.GeoError as error:
        return _error(ERRORS[error.reason])
    try:
        filters = _filters()
    except UserError as error:
        return _error(str(error))
    limit = current_app.config.get("COMPLAINT_MAP_MAX_POINTS", record.MAP_MAX_POINTS)
    points, truncated = record.map_points(
        bbox.west, bbox.south, bbox.east, bbox.north, filters, limit
    )
    prefix = url_for("complaints.show_public", tracking_no="_")[:-1]
    return geojson(
        {
            "type": "FeatureCollection",
            "bbox": [bbox.west, bbox.south, bbox.east, bbox.north],
            "truncated": truncated,
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                    "properties": {
                        "tracking_no": p.tracking_no,
                        "category": p.category,
                        "status": p.status,
                        "channel": p.channel,
                        "received": datetime_attr(p.received),
                        "url": prefix + p.tracking_no,
                    },
                }
                for p in points
            ],
        },
    )
