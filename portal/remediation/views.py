"""Public remediation pages: /progress (matrix, targets, curve) and /progress/overdue."""

from flask import Blueprint, abort, render_template, request

from ..caching import public
from ..core.clock import local_today
from ..outfalls.labels import CATEGORY_L1, PROGRESS_STAGE, WATER_KIND
from ..outfalls.models import STAGES
from . import figures

bp = Blueprint("remediation", __name__)

# The list filter each matrix dimension links with.
LIST_ARG = {"region": "region", "water": "water", "type": "type", "kind": "kind"}


@bp.get("/progress")
@public
def progress():
    """Remediation progress by region, water body, type or river/sea, against the targets."""
    by = request.args.get("by", "region")
    if by not in figures.DIMENSIONS:
        abort(404)
    today = local_today()
    return render_template(
        "remediation/progress.html",
        figures=figures.progress(by, {"type": CATEGORY_L1, "kind": WATER_KIND}, today),
        stages=STAGES,
        stage_labels=PROGRESS_STAGE,
        dimensions=figures.DIMENSIONS,
        list_arg=LIST_ARG[by],
        today=today,
    )


@bp.get("/progress/overdue")
@public
def overdue():
    """Supervision: plans past their deadline and not signed off."""
    today = local_today()
    return render_template(
        "remediation/overdue.html", plans=figures.overdue_plans(today), today=today
    )
