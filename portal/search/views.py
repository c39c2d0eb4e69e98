"""GET /search: exact code first, then ranked, highlighted, filtered, paged results."""

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..caching import public
from ..core.codes import is_plausible_code, normalise_code
from ..extensions import db
from ..outfalls.models import Outfall
from . import planner
from .forms import SearchForm

bp = Blueprint("search", __name__)


def _render(form, status=200, **context):
    context.setdefault("page", None)
    context.setdefault("rows", [])
    return render_template("search/results.html", form=form, **context), status


@bp.get("/search")
@public
def search():
    """Full-text search over name, code, water body, entity, address, region and pinyin."""
    form = SearchForm(request.args)
    if not form.validate():
        return _render(form, 400, error=_("This search cannot be run; check what you typed."))
    q = (form.q.data or "").strip()
    if not q:
        return _render(form, message=_("Type a name, code, river, company or place to search."))
    code = normalise_code(q)
    if is_plausible_code(code) and db.session.scalar(
        select(Outfall.id).where(Outfall.code == code)
    ):
        return redirect(url_for("outfalls.show_outfall", code=code))
    per_page = current_app.config.get("SEARCH_PAGE_SIZE", 20)
    page_no = form.page.data or 1
    result = planner.query(q, filters=form.filters(), page=page_no, per_page=per_page)
    if result.total and page_no > result.pages:
        abort(404)
    ids = [oid for oid, _h in result.items]
    outfalls = (
        {
            o.id: o
            for o in db.session.scalars(
                select(Outfall)
                .where(Outfall.id.in_(ids))
                .options(
                    joinedload(Outfall.region),
                    joinedload(Outfall.water_body),
                    joinedload(Outfall.remediation_plan),
                )
            ).unique()
        }
        if ids
        else {}
    )
    # The index may briefly hold an outfall the database no longer has: skip it.
    rows = [(outfalls[oid], marks) for oid, marks in result.items if oid in outfalls]
    message = None
    if not result.total:
        message = _("Nothing matches “%(q)s”. Try fewer words, pinyin or part of the code.", q=q)
    args = {"q": q, **form.filters().as_args()}
    body, status = _render(form, page=result, rows=rows, message=message, q=q, args=args)
    response = make_response(body, status)
    if result.degraded:
        response.cache_control.no_store = True  # better results come once the index is back
    return response
