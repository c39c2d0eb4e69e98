"""The public record (/complaints/): every report's public summary, filtered, newest first.

A blueprint of its own beside complaints.views (the report form and tracking pages): the
list reads complaints.record; no page here reads the reporter's table.
"""

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select

from ..agencies.models import Department
from ..caching import public
from ..core.clock import local_today
from ..core.errors import UserError
from ..core.periods import PeriodError, parse_period
from ..extensions import db
from ..formflow import show_error
from ..outfalls.services import filter_choices
from . import record
from .labels import COMPLAINT_STATUS
from .models import ComplaintCategory
from .record_forms import RecordFilterForm

bp = Blueprint("record", __name__, url_prefix="/complaints")

# The list offers every kind of period; /departments/ offers whole months only.
LIST_PERIODS = frozenset({"all", "days", "12m", "year", "month"})


def _choices() -> dict:
    """What the filter selects offer (small tables: a few dozen rows each)."""
    regions, waters = filter_choices()  # the same choices as the outfall list
    return {
        "statuses": list(COMPLAINT_STATUS.items()),
        "categories": db.session.scalars(
            select(ComplaintCategory).order_by(ComplaintCategory.position, ComplaintCategory.id)
        ).all(),
        "regions": regions,
        "waters": waters,
        "departments": db.session.scalars(select(Department).order_by(Department.id)).all(),
        "periods": record.period_options(local_today(), days=True, all_time=True),
    }


def _render(form, page, status: int = 200, query=None):
    return render_template(
        "complaints/list_complaints.html",
        form=form,
        page=page,
        query=query,
        **_choices(),
    ), status


@bp.get("/")
@public
def list_complaints():
    """Every report's public summary with filters, in keyset pages."""
    form = RecordFilterForm(request.args)
    if not form.validate():
        return _render(form, None, 400)
    query = form.query()
    try:
        period = parse_period(query.period, local_today(), allowed=LIST_PERIODS)
    except PeriodError:
        form.period.errors = [record.period_error()]
        return _render(form, None, 400)
    try:
        filters = record.resolve(query, period)
        page = record.record_page(
            filters, form.after.data or None, current_app.config["RECORD_PAGE_SIZE"]
        )
    except UserError as error:
        show_error(form, error, "after")
        return _render(form, None, 400)
    return _render(form, page, query=query)
