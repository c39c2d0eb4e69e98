"""The outfall map (/map) on the outfalls blueprint; its data comes from /api/v1 (clustering.py)."""

from flask import current_app, render_template, request, url_for

from ..caching import public
from . import clustering, services
from .forms import OutfallFilterForm
from .labels import CATEGORY_L1, OUTFALL_STATUS, REMEDIATION_STATUS
from .views import bp

MAP_FILTERS = ("type", "kind", "remediation", "region")


@bp.get("/map")
@public
def outfall_map():
    """All outfalls on a map with filters; the list view stays one link away."""
    form = OutfallFilterForm(request.args)
    valid = form.validate()
    filters = form.filters().as_args() if valid else {}
    if valid and "api.outfalls_map" in current_app.view_functions:
        clustering.prepare_grid(form.filters())
    regions, _waters = services.filter_choices()
    lat, lon = current_app.config["MAP_DEFAULT_CENTER"]
    return render_template(
        "outfalls/map.html",
        form=form,
        valid=valid,
        regions=regions,
        list_url=url_for(
            "outfalls.list_outfalls", **{k: v for k, v in filters.items() if k in MAP_FILTERS}
        ),
        api_url=url_for("api.outfalls_map")
        if "api.outfalls_map" in current_app.view_functions
        else "",
        center=(lat, lon),
        type_labels={k: str(v) for k, v in CATEGORY_L1.items()},
        status_labels={k: str(v) for k, v in OUTFALL_STATUS.items()},
        remediation_labels={k: str(v) for k, v in REMEDIATION_STATUS.items()},
    ), (200 if valid else 400)
