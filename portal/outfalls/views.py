"""Public registry pages, the map page (/map) and the signboard QR landing (/o/<code>).

The map's data comes from /api/v1 (api.views), which clustering.py computes.
"""

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
from flask_babel import force_locale

from ..caching import public
from ..core.clock import local_today
from ..core.codes import is_plausible_code, normalise_code
from ..core.storage import FileStore
from ..extensions import db
from ..security import allow
from ..urls import public_url
from . import approvals, clustering, history, ledger, legal, qr, services, signboard
from .forms import CodeLookupForm, OutfallFilterForm
from .labels import CATEGORY_L1, OUTFALL_STATUS, REMEDIATION_STATUS
from .models import ApprovalDocument

bp = Blueprint("outfalls", __name__)


def _canonical(code: str, endpoint: str):
    """Redirect a hand-typed code to its canonical URL, or return None if it is one."""
    canonical = normalise_code(code)
    if canonical != code and is_plausible_code(canonical):
        return redirect(url_for(endpoint, code=canonical, **request.args), 301)
    return None


def _not_found(code: str):
    form = CodeLookupForm(data={"code": code})
    return render_template("outfalls/not_found.html", code=code, form=form), 404


@bp.get("/")
@public
def home():
    """What the portal is, the code lookup, and headline figures."""
    figures = services.headline_figures(local_today())
    return render_template("outfalls/home.html", figures=figures, form=CodeLookupForm())


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/outfalls/")
@public
def list_outfalls():
    """The registry list with filters and pages."""
    form = OutfallFilterForm(request.args)
    regions, waters = services.filter_choices()
    if not form.validate():
        return render_template(
            "outfalls/list_outfalls.html", form=form, page=None, regions=regions, waters=waters
        ), 400
    per_page = current_app.config["PAGE_SIZE"]
    page = services.list_outfalls(form.filters(), form.page.data or 1, per_page)
    if page.page > page.pages:
        abort(404)
    return render_template(
        "outfalls/list_outfalls.html",
        form=form,
        page=page,
        filters=form.filters(),
        regions=regions,
        waters=waters,
    )


# The filters the map offers; the list page's other filters are dropped from its link.
MAP_FILTERS = ("type", "kind", "remediation", "region")


@bp.get("/map")
@allow("geolocation")  # "my position"
@public
def outfall_map():
    """All outfalls on a map with filters; the list view stays one link away."""
    form = OutfallFilterForm(request.args)
    valid = form.validate()
    filters = form.filters().as_args() if valid else {}
    has_api = "api.outfalls_map" in current_app.view_functions
    if valid and has_api:
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
        api_url=url_for("api.outfalls_map") if has_api else "",
        center=(lat, lon),
        type_labels={k: str(v) for k, v in CATEGORY_L1.items()},
        status_labels={k: str(v) for k, v in OUTFALL_STATUS.items()},
        remediation_labels={k: str(v) for k, v in REMEDIATION_STATUS.items()},
    ), (200 if valid else 400)


@bp.get("/outfalls/<code>")
@public
def show_outfall(code: str):
    """Everything public about one outfall."""
    if response := _canonical(code, "outfalls.show_outfall"):
        return response
    outfall = services.outfall_detail(code)
    if outfall is None:
        return _not_found(code)
    samples = services.evaluate(outfall, services.latest_records(outfall.id, 24))
    today = local_today()
    return render_template(
        "outfalls/show_outfall.html",
        outfall=outfall,
        samples=samples,
        standard=services.outfall_standard(outfall, today),
        legal_state=legal.status_of(outfall, today),
        approval_versions=approvals.public_versions(outfall.approvals),
        today=today,
    )


@bp.get("/outfalls/<code>/history")
@public
def outfall_history(code: str):
    """The outfall's public history: what changed, when, by which department, and why."""
    if response := _canonical(code, "outfalls.outfall_history"):
        return response
    outfall = services.find_outfall(code)
    if outfall is None:
        return _not_found(code)
    return render_template(
        "outfalls/history.html", outfall=outfall, entries=history.public_history(outfall.id)
    )


@bp.get("/waters/<int:water_id>")
@public
def show_water(water_id: int):
    """A water body and its outfalls, grouped by type and status."""
    summary = services.water_body_summary(water_id)
    if summary is None:
        abort(404)
    return render_template("outfalls/show_water.html", summary=summary)


@bp.get("/o/")
def lookup():
    """Resolve a code typed into the lookup box."""
    form = CodeLookupForm(request.args)
    code = normalise_code(form.code.data or "")
    if not code:
        return render_template("outfalls/not_found.html", code="", form=form), 400
    return redirect(url_for("outfalls.landing", code=code))


@bp.get("/o/<code>")
@public
def landing(code: str):
    """The page a signboard's QR code opens: small, fast, for a phone at the riverbank."""
    if response := _canonical(code, "outfalls.landing"):
        return response
    outfall = services.find_outfall(code)
    if outfall is None:
        # A corrected code keeps resolving: signboards printed with it are steel.
        renamed = ledger.find_by_former_code(code)
        if renamed is not None:
            return redirect(url_for("outfalls.landing", code=renamed.code), 301)
        return _not_found(code)
    if outfall.merged_into is not None:
        return redirect(
            url_for("outfalls.landing", code=outfall.merged_into.code, **{"from": outfall.code})
        )
    merged_from = None
    if request.args.get("from"):
        merged_from = services.merged_source(request.args["from"], outfall)
    latest = services.evaluate(outfall, services.latest_records(outfall.id, 1))
    today = local_today()
    return render_template(
        "outfalls/landing.html",
        outfall=outfall,
        latest=latest[0] if latest else None,
        merged_from=merged_from,
        legal_state=legal.status_of(outfall, today),
        today=today,
    )


def _outfall_or_404(code: str):
    outfall = services.find_outfall(code)
    if outfall is None:
        abort(404)
    return outfall


def _qr_target(code: str):
    if response := _canonical(code, request.endpoint):
        return None, response
    return _outfall_or_404(code), None


@bp.get("/o/<code>/qr.svg")
@public
def qr_svg(code: str):
    """The QR code of an outfall's permanent URL, as SVG."""
    outfall, response = _qr_target(code)
    if response:
        return response
    body = qr.qr_svg(public_url("outfalls.landing", code=outfall.code))
    return current_app.response_class(body, mimetype="image/svg+xml")


@bp.get("/o/<code>/qr.png")
@public
def qr_png(code: str):
    """The QR code of an outfall's permanent URL, as PNG."""
    outfall, response = _qr_target(code)
    if response:
        return response
    body = qr.qr_png(public_url("outfalls.landing", code=outfall.code))
    return current_app.response_class(body, mimetype="image/png")


def _signboard(code: str):
    outfall, response = _qr_target(code)
    if response:
        return None, response
    # Signboards are official Chinese-language artefacts whatever the reader's language.
    with force_locale("zh"):
        content = services.signboard_content(
            outfall,
            public_url("outfalls.landing", code=outfall.code),
            current_app.config["HOTLINE"],
        )
    return content, None


@bp.get("/o/<code>/signboard.svg")
@public
def signboard_svg(code: str):
    """A printable signboard (480 × 300 mm) with the QR code, as SVG."""
    content, response = _signboard(code)
    if response:
        return response
    return current_app.response_class(signboard.signboard_svg(content), mimetype="image/svg+xml")


@bp.get("/o/<code>/signboard.pdf")
@public
def signboard_pdf(code: str):
    """A printable signboard at real size with an embedded font, as PDF."""
    content, response = _signboard(code)
    if response:
        return response
    result = current_app.response_class(
        signboard.signboard_pdf(content), mimetype="application/pdf"
    )
    result.headers["Content-Disposition"] = f'inline; filename="signboard-{code}.pdf"'
    return result


@bp.get("/documents/<int:doc_id>/<path:filename>")
@public
def document(doc_id: int, filename: str):
    """A published approval document."""
    doc = db.session.get(ApprovalDocument, doc_id)
    if doc is None:
        abort(404)
    if filename != doc.filename:
        return redirect(url_for("outfalls.document", doc_id=doc.id, filename=doc.filename), 301)
    path = FileStore(current_app.config["UPLOAD_DIR"]).resolve(doc.sha256)
    if path is None:
        abort(404)
    return send_file(path, mimetype=doc.content_type, download_name=doc.filename, etag=doc.sha256)
