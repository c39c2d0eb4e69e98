"""Public accountability: every department side by side, and each one's record by month.

Read from the department_months rollup (queue.rollup keeps it as cases change): a period's
figures are a sum over at most a few hundred small rows, whatever the number of complaints.
"""

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..agencies.models import Department
from ..caching import public
from ..complaints.record import month_label, period_error, period_options
from ..core.clock import local_today
from ..core.periods import Period, PeriodError, add_months, parse_period
from ..extensions import db
from .models import DepartmentMonth
from .rollup import Figures

bp = Blueprint("departments", __name__, url_prefix="/departments")

# Whole months only: the figures are monthly.
PERIODS = frozenset({"all", "12m", "year", "month"})
DEFAULT_PERIOD = "12m"
# Columns of the comparison, in order: the key in ?sort= and how to read it off Figures.
COLUMNS = {
    "received": lambda f: f.received,
    "accepted_on_time": lambda f: f.accepted_on_time_rate,
    "completed_on_time": lambda f: f.completed_on_time_rate,
    "median_days": lambda f: f.median_workdays,
    "extended": lambda f: f.extended,
    "reopen_rate": lambda f: f.reopen_rate,
    "satisfaction": lambda f: f.satisfaction,
}
# How many months the trend chart shows at most.
CHART_MONTHS = 24


def _rows(period: Period, department_id: int | None = None) -> list[DepartmentMonth]:
    first, last = period.months
    query = select(DepartmentMonth)
    if first:
        query = query.where(DepartmentMonth.month >= first)
    if last:
        query = query.where(DepartmentMonth.month <= last)
    if department_id is not None:
        query = query.where(DepartmentMonth.department_id == department_id)
    return list(db.session.scalars(query.order_by(DepartmentMonth.month)))


@dataclass
class Row:
    department: Department
    figures: Figures


def compare(period: Period, sort: str, descending: bool) -> list[Row]:
    """Every department's figures for the period, sorted (departments without cases too)."""
    totals: dict[int, Figures] = {}
    for row in _rows(period):
        totals.setdefault(row.department_id, Figures()).add(Figures.from_row(row))
    departments = db.session.scalars(select(Department).order_by(Department.id)).all()
    rows = [Row(d, totals.get(d.id, Figures())) for d in departments]
    if sort == "name":
        rows.sort(key=lambda r: r.department.name, reverse=descending)
        return rows
    value = COLUMNS[sort]
    known = [r for r in rows if value(r.figures) is not None]
    unknown = [r for r in rows if value(r.figures) is None]
    known.sort(key=lambda r: value(r.figures), reverse=descending)
    return known + unknown  # "no figure" always last, whichever way one sorts


def monthly(department_id: int, period: Period) -> list[tuple[str, Figures]]:
    """(month, figures) for each month of the period, newest first, empty months included."""
    rows = {r.month: Figures.from_row(r) for r in _rows(period, department_id)}
    first, last = period.months
    if last is None:
        last = local_today().strftime("%Y-%m")
    if first is None:
        first = min(rows) if rows else last
    months, day = [], _first_day(last)
    while day.strftime("%Y-%m") >= first:
        months.append(day.strftime("%Y-%m"))
        day = add_months(day, -1)
    return [(m, rows.get(m, Figures())) for m in months]


def _first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


@dataclass
class Chart:
    """Geometry of the trend chart (an SVG drawn by the template): received as bars, the
    share completed on time as a line, left to right from the oldest month."""

    width: int
    height: int
    bars: list  # (x, y, w, h, month label, received)
    line: str  # SVG points of the on-time share
    dots: list  # (x, y, month label, share)
    top: int  # the received count the chart's height stands for
    base: int  # y of the zero line


def trend_chart(months: list[tuple[str, Figures]], width: int = 640, height: int = 220) -> Chart:
    """Bars and a line for months given newest first (pure geometry, no drawing)."""
    series = list(reversed(months[:CHART_MONTHS]))
    left, right, top_pad, bottom = 40, 40, 10, 30
    base = height - bottom
    span = base - top_pad
    top = max([f.received for _m, f in series] + [1])
    step = (width - left - right) / max(len(series), 1)
    bars, dots = [], []
    for i, (month, figures) in enumerate(series):
        h = round(span * figures.received / top, 1)
        x = round(left + i * step + step * 0.15, 1)
        bars.append((x, round(base - h, 1), round(step * 0.7, 1), h, month, figures.received))
        share = figures.completed_on_time_rate
        if share is not None:
            dots.append(
                (round(left + i * step + step / 2, 1), round(base - span * share, 1), month, share)
            )
    line = " ".join(f"{x},{y}" for x, y, _m, _s in dots)
    return Chart(width, height, bars, line, dots, top, base)


def _period_or_400(template: str, **context):
    """The chosen period, or a 400 page saying so."""
    try:
        return parse_period(
            request.args.get("period", DEFAULT_PERIOD), local_today(), allowed=PERIODS
        ), None
    except PeriodError:
        return None, (
            render_template(template, period_error=period_error(), **context),
            400,
        )


def _periods():
    return period_options(local_today(), days=False, all_time=True)


@bp.get("/")
@public
def list_departments():
    """All departments side by side for a period, sortable by any column."""
    sort = request.args.get("sort", "received")
    descending = request.args.get("dir", "desc") != "asc"
    context = {"periods": _periods(), "columns": list(COLUMNS), "sort": sort, "desc": descending}
    if sort != "name" and sort not in COLUMNS:
        return render_template(
            "departments/list_departments.html",
            rows=None,
            sort_error=_("Choose one of the columns to sort by."),
            period=None,
            **{**context, "sort": "received"},
        ), 400
    period, refused = _period_or_400("departments/list_departments.html", rows=None, **context)
    if refused:
        return refused
    return render_template(
        "departments/list_departments.html",
        rows=compare(period, sort, descending),
        period=period,
        sort_link=lambda column: url_for(
            "departments.list_departments",
            period=period.key,
            sort=column,
            dir="asc" if column == sort and descending else "desc",
        ),
        **context,
    )


@bp.get("/<int:department_id>")
@public
def show_department(department_id: int):
    """One department's record: totals, a trend chart and the months as a table."""
    department = db.session.get(Department, department_id)
    if department is None:
        abort(404)
    context = {"department": department, "periods": _periods()}
    period, refused = _period_or_400("departments/show_department.html", months=None, **context)
    if refused:
        return refused
    months = monthly(department_id, period)
    totals = Figures()
    for _month, figures in months:
        totals.add(figures)
    return render_template(
        "departments/show_department.html",
        months=months,
        totals=totals,
        chart=trend_chart(months),
        month_label=month_label,
        period=period,
        **context,
    )
