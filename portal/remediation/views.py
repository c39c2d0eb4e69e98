"""Public remediation pages: /progress (matrix, targets, curve) and /progress/overdue."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..caching import public
from ..core.clock import local_today
from ..core.storage import FileStore
from ..extensions import db
from ..outfalls.labels import CATEGORY_L1, PROGRESS_STAGE, WATER_KIND
from ..outfalls.models import STAGES, RemediationStatus
from . import figures
from .models import RemediationDocument, SignoffStep

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


REPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@bp.get("/progress/report.<any(xlsx, pdf):fmt>")
@public
def report(fmt: str):
    """The half-year progress report for any date (?on=YYYY-MM-DD, default today), as XLSX
    or PDF (the same figures)."""
    from datetime import date

    from .report import report_pdf, report_xlsx

    raw = request.args.get("on", "")
    try:
        on = date.fromisoformat(raw) if raw else local_today()
    except ValueError:
        abort(400)
    body = report_pdf(on) if fmt == "pdf" else report_xlsx(on)
    response = current_app.response_class(body, mimetype=REPORT_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="progress-{on}.{fmt}"'
    return response


@bp.get("/progress/transitions")
@public
def transitions():
    """Supervision: transition periods (过渡期) ending soon."""
    today = local_today()
    days = current_app.config["REMEDIATION_TRANSITION_WARN_DAYS"]
    return render_template(
        "remediation/transitions.html",
        plans=figures.transitions_ending(today, days),
        days=days,
        today=today,
    )


@bp.get("/progress/dry-weather")
@public
def dry_weather():
    """Supervision: stormwater outfalls with a dry-weather flow recorded."""
    return render_template("remediation/dry_weather.html", rows=figures.dry_weather_flows())


@bp.get("/remediation/documents/<int:doc_id>/<path:filename>")
@public
def document(doc_id: int, filename: str):
    """A sign-off document or photo, published once its plan is signed off."""
    doc = db.session.get(RemediationDocument, doc_id)
    if doc is None or doc.plan.status is not RemediationStatus.closed:
        abort(404)
    if filename != doc.filename:
        return redirect(url_for("remediation.document", doc_id=doc.id, filename=doc.filename), 301)
    path = FileStore(current_app.config["UPLOAD_DIR"]).resolve(doc.sha256)
    if path is None:
        abort(404)
    return send_file(path, mimetype=doc.content_type, download_name=doc.filename, etag=doc.sha256)


def signoff_steps(plan) -> list[SignoffStep]:
    """A plan's sign-off steps with their departments and documents (one query each)."""
    return list(
        db.session.scalars(
            select(SignoffStep)
            .where(SignoffStep.plan_id == plan.id)
            .options(joinedload(SignoffStep.department), selectinload(SignoffStep.documents))
            .order_by(SignoffStep.id)
        )
    )


# Statuses whose sign-off steps the QR landing shows (one query; none for other plans).
LANDING_STEPS = frozenset(
    {
        RemediationStatus.signoff_submitted,
        RemediationStatus.dept_confirmed,
        RemediationStatus.eee_approved,
        RemediationStatus.closed,
    }
)


def landing_steps(plan) -> list[SignoffStep]:
    """The sign-off steps for /o/<code>: dates and labels, and after sign-off the documents
    (the template shows those only then). Loaded with the outfall (outfalls.services'
    landing query): no query of their own."""
    if plan is None or plan.status not in LANDING_STEPS:
        return []
    return list(plan.signoff_steps)


SIGNOFF_LABELS = {
    "submit": _l("Proof submitted"),
    "confirm": _l("Confirmed by the supervising department"),
    "dept_return": _l("Returned by the supervising department"),
    "approve": _l("Reviewed and signed off by the ecology and environment bureau"),
    "coordinator_return": _l("Returned by the ecology and environment bureau"),
}


def init_app(app) -> None:
    """Templates of the outfall page may show a plan's sign-off steps."""
    app.jinja_env.globals["signoff_steps"] = signoff_steps
    app.jinja_env.globals["landing_steps"] = landing_steps
    app.jinja_env.globals["signoff_labels"] = SIGNOFF_LABELS
