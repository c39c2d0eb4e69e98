"""The coordinator's admin pages: routing rules, holidays, reply templates, service levels."""

import itertools
from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..agencies.auth import role_required
from ..agencies.models import Department, Role
from ..complaints.models import Complaint, ComplaintCategory
from ..core.clock import local_today, utcnow
from ..core.workdays import WorkingCalendar
from ..extensions import db
from ..geo.models import Region, RegionLevel
from ..i18n import localname
from . import deadlines
from .admin_forms import (
    CalendarDayForm,
    CalendarYearForm,
    CategoriesForm,
    ConfirmForm,
    RouteTestForm,
    RuleForm,
    TemplateForm,
)
from .calendar import CALENDAR_HORIZON, load_calendar, recompute_deadlines
from .models import CalendarOverride, CalendarYear, ResponseTemplate, RoutingRule
from .placement import region_chain, routing_rules
from .routing import NoRouteError, Route, choose_route
from .views import bp

# Cases recomputed per query after a calendar change (constant memory on a big queue).
RECOMPUTE_BATCH = 200


def _categories() -> list[ComplaintCategory]:
    return list(
        db.session.scalars(
            select(ComplaintCategory).order_by(ComplaintCategory.position, ComplaintCategory.id)
        )
    )


def _departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.id)))


def _reject_bad_post() -> None:
    """A delete button without a valid CSRF token is refused outright."""
    if not ConfirmForm().validate():
        abort(400)


# --- Routing rules -----------------------------------------------------------------------

# A deeper region outranks a shallower one, as in routing.choose_route.
_LEVEL_DEPTH = {
    RegionLevel.province: 1,
    RegionLevel.city: 2,
    RegionLevel.county: 3,
    RegionLevel.township: 4,
}


def rule_regions(rules: list[RoutingRule]) -> dict[str, Region]:
    """The regions the rules name, by code (one query)."""
    codes = {r.region_code for r in rules if r.region_code}
    if not codes:
        return {}
    return {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))}


def sorted_rules() -> tuple[list[RoutingRule], dict[str, Region]]:
    """Every rule, most specific first (the order in which they win), and their regions."""
    rules = list(
        db.session.scalars(
            select(RoutingRule).options(
                joinedload(RoutingRule.lead_department), selectinload(RoutingRule.assisting)
            )
        )
    )
    regions = rule_regions(rules)

    def key(rule: RoutingRule):
        dimensions = (
            (rule.category_code is not None)
            + (rule.outfall_type is not None)
            + (rule.region_code is not None)
        )
        region = regions.get(rule.region_code) if rule.region_code else None
        depth = _LEVEL_DEPTH.get(region.level, 0) if region else 0
        return (-dimensions, -depth, rule.id)

    return sorted(rules, key=key), regions


def _region_id(code: str) -> int | None:
    return db.session.scalar(select(Region.id).where(Region.code == code))


def rule_problem(form: RuleForm, rule_id: int | None) -> str | None:
    """Why this rule cannot be saved (translated), or None; sets the form's errors."""
    region_code = form.region_code.data or None
    if region_code and _region_id(region_code) is None:
        form.region_code.errors.append(_("Unknown region code."))
        return form.region_code.errors[-1]
    same = select(RoutingRule.id).where(
        _is(RoutingRule.category_code, form.category.data or None),
        _is(RoutingRule.outfall_type, form.outfall_type.data or None),
        _is(RoutingRule.region_code, region_code),
    )
    if rule_id is not None:
        same = same.where(RoutingRule.id != rule_id)
    if db.session.scalar(same.limit(1)) is not None:
        form.form_errors.append(_("Another rule already covers exactly this; edit it instead."))
        return form.form_errors[-1]
    return None


def _is(column, value):
    """column = value, where None matches NULL (a rule's "any")."""
    return column.is_(None) if value is None else column == value


def save_rule(rule: RoutingRule, form: RuleForm) -> None:
    """Copy a validated form onto a rule; the lead is never also one of its helpers."""
    rule.category_code = form.category.data or None
    rule.outfall_type = form.outfall_type.data or None
    rule.region_code = form.region_code.data or None
    rule.lead_department_id = form.lead_department.data
    rule.note = form.note.data or ""
    wanted = set(form.assisting.data or ()) - {rule.lead_department_id}
    rule.assisting = [d for d in _departments() if d.id in wanted]


def try_route(form: RouteTestForm) -> Route | None:
    """The route a report with these facts would take; None means triage.

    Raises:
        LookupError: the region code is not in the regions table.
    """
    chain: list[str] = []
    if form.region_code.data:
        region_id = _region_id(form.region_code.data)
        if region_id is None:
            raise LookupError(form.region_code.data)
        chain = region_chain(region_id)
    try:
        return choose_route(
            routing_rules(),
            category=form.category.data,
            outfall_type=form.outfall_type.data or None,
            region_chain=chain,
        )
    except NoRouteError:
        return None


@bp.get("/rules")
@role_required(Role.coordinator, Role.admin)
def list_rules():
    """Every routing rule, most specific first, and a form to test which rule wins."""
    categories = _categories()
    test_form = RouteTestForm(request.args, prefix="test")
    test_form.set_choices(categories)
    tested, route, status = False, None, 200
    if "test-category" in request.args:
        if test_form.validate():
            try:
                route = try_route(test_form)
                tested = True
            except LookupError:
                test_form.region_code.errors.append(_("Unknown region code."))
        if not tested:
            status = 400
    rules, regions = sorted_rules()
    departments = {d.id: d for d in _departments()}
    return render_template(
        "queue/admin/rules.html",
        rules=rules,
        regions=regions,
        categories={c.code: c for c in categories},
        test_form=test_form,
        tested=tested,
        route=route,
        route_assisting=[localname(departments[d]) for d in route.assisting] if route else [],
        departments=departments,
        delete_form=ConfirmForm(),
    ), status


def _rule_form_page(rule: RoutingRule | None):
    data = None
    if rule is not None and request.method == "GET":
        data = {
            "category": rule.category_code or "",
            "outfall_type": rule.outfall_type or "",
            "region_code": rule.region_code or "",
            "lead_department": rule.lead_department_id,
            "assisting": [d.id for d in rule.assisting],
            "note": rule.note,
        }
    form = RuleForm(data=data)
    form.set_choices(_categories(), _departments())
    if form.validate_on_submit() and rule_problem(form, rule.id if rule else None) is None:
        if rule is None:
            rule = RoutingRule()
            db.session.add(rule)
        save_rule(rule, form)
        db.session.commit()
        flash(_("The rule was saved. It applies to new reports."), "success")
        return redirect(url_for("queue.list_rules"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("queue/admin/rule_form.html", form=form, rule=rule), status


@bp.route("/rules/new", methods=["GET", "POST"])
@role_required(Role.coordinator, Role.admin)
def new_rule():
    """Add a routing rule."""
    return _rule_form_page(None)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@role_required(Role.coordinator, Role.admin)
def edit_rule(rule_id: int):
    """Change a routing rule."""
    return _rule_form_page(db.get_or_404(RoutingRule, rule_id))


@bp.post("/rules/<int:rule_id>/delete")
@role_required(Role.coordinator, Role.admin)
def delete_rule(rule_id: int):
    """Remove a routing rule; cases it placed stay where they are."""
    rule = db.get_or_404(RoutingRule, rule_id)
    _reject_bad_post()
    db.session.delete(rule)
    db.session.commit()
    flash(_("The rule was deleted."), "success")
    return redirect(url_for("queue.list_rules"), 303)


# --- Holidays and deadlines --------------------------------------------------------------


@dataclass
class RecomputeReport:
    updated: int = 0  # open cases whose deadlines changed
    undated: int = 0  # open cases still without a deadline (their year is unknown)


def recompute_open_deadlines(
    since: date, now: datetime, *, batch: int = RECOMPUTE_BATCH
) -> RecomputeReport:
    """Recompute every open case a calendar change from `since` on may move; services flush.

    A deadline before `since` only counts days before it, so it cannot move; cases
    without a deadline are always retried, as the change may be the missing year.
    """
    cal = load_calendar()
    start = deadlines.start_of_local_day(since)
    affected = or_(
        Complaint.complete_due_at.is_(None),
        Complaint.complete_due_at >= start,
        Complaint.accept_due_at >= start,
    )
    report = RecomputeReport()
    after = 0
    while True:
        cases = db.session.scalars(
            select(Complaint)
            .where(Complaint.is_open.is_(True), affected, Complaint.id > after)
            .options(joinedload(Complaint.category))
            .order_by(Complaint.id)
            .limit(batch)
        ).all()
        if not cases:
            return report
        for complaint in cases:
            before = (complaint.accept_due_at, complaint.complete_due_at)
            known = recompute_deadlines(complaint, cal, now)
            if (complaint.accept_due_at, complaint.complete_due_at) != before:
                report.updated += 1
                if complaint.complete_due_at != before[1]:
                    complaint.warned_at = None  # warn again before the new deadline
            if not known:
                report.undated += 1
        db.session.flush()
        after = cases[-1].id


def _after_calendar_change(since: date) -> None:
    """Recompute, commit and tell the coordinator what moved."""
    report = recompute_open_deadlines(since, utcnow())
    db.session.commit()
    flash(
        ngettext(
            "Saved. The deadlines of %(num)s open case changed.",
            "Saved. The deadlines of %(num)s open cases changed.",
            report.updated,
        ),
        "success",
    )
    if report.undated:
        flash(
            ngettext(
                "%(num)s open case still has no deadline: enter the holidays of its year.",
                "%(num)s open cases still have no deadline: enter the holidays of their year.",
                report.undated,
            ),
            "error",
        )


@dataclass
class YearStatus:
    year: int
    built_in: bool  # chinesecalendar knows its holidays
    entered: bool  # the coordinator marked it entered


def calendar_overview(today: date) -> dict:
    """What the holidays page shows: year coverage, years at risk, overrides by year."""
    entered = set(db.session.scalars(select(CalendarYear.year)))
    library = WorkingCalendar()  # no overrides: what chinesecalendar alone knows
    years = sorted({today.year, today.year + 1} | entered)
    statuses = [
        YearStatus(y, not library.unknown_years(date(y, 1, 1), date(y, 1, 1)), y in entered)
        for y in years
    ]
    missing = load_calendar().unknown_years(today, today + CALENDAR_HORIZON)
    overrides = db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day))
    by_year = [(y, list(rows)) for y, rows in itertools.groupby(overrides, lambda o: o.day.year)]
    undated = db.session.scalar(
        select(func.count(Complaint.id)).where(
            Complaint.is_open.is_(True), Complaint.complete_due_at.is_(None)
        )
    )
    return {
        "years": statuses,
        "missing_years": sorted(missing),
        "overrides_by_year": by_year,
        "undated": undated or 0,
    }


def _calendar_page(day_form=None, year_form=None, status: int = 200):
    today = local_today()
    overview = calendar_overview(today)
    if year_form is None:
        # Offer the first year at risk: the one the coordinator most likely came for.
        missing = overview["missing_years"]
        year_form = CalendarYearForm(formdata=None, data={"year": missing[0] if missing else None})
    return render_template(
        "queue/admin/calendar.html",
        day_form=day_form or CalendarDayForm(formdata=None),
        year_form=year_form,
        delete_form=ConfirmForm(),
        **overview,
    ), status


@bp.get("/calendar")
@role_required(Role.coordinator, Role.admin)
def calendar():
    """Which years' holidays are known, and the coordinator's overrides."""
    return _calendar_page()


@bp.post("/calendar/days")
@role_required(Role.coordinator, Role.admin)
def add_calendar_day():
    """Declare a day a holiday or a working day (or change what it was declared)."""
    form = CalendarDayForm()
    if not form.validate():
        return _calendar_page(day_form=form, status=400)
    override = db.session.get(CalendarOverride, form.day.data)
    if override is None:
        override = CalendarOverride(day=form.day.data)
        db.session.add(override)
    override.is_workday = form.kind.data == "workday"
    override.note = form.note.data or ""
    db.session.flush()
    _after_calendar_change(form.day.data)
    return redirect(url_for("queue.calendar"), 303)


@bp.post("/calendar/days/<day>/delete")
@role_required(Role.coordinator, Role.admin)
def delete_calendar_day(day: str):
    """Remove an override: the day is again what chinesecalendar (or the weekday) says."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    override = db.get_or_404(CalendarOverride, parsed)
    _reject_bad_post()
    db.session.delete(override)
    db.session.flush()
    _after_calendar_change(parsed)
    return redirect(url_for("queue.calendar"), 303)


@bp.post("/calendar/years")
@role_required(Role.coordinator, Role.admin)
def mark_year_entered():
    """Declare a year's holidays completely entered: its other days follow the weekdays."""
    form = CalendarYearForm()
    if not form.validate():
        return _calendar_page(year_form=form, status=400)
    if db.session.get(CalendarYear, form.year.data) is None:
        db.session.add(CalendarYear(year=form.year.data))
        db.session.flush()
    _after_calendar_change(date(form.year.data, 1, 1))
    return redirect(url_for("queue.calendar"), 303)


@bp.post("/calendar/years/<int:year>/delete")
@role_required(Role.coordinator, Role.admin)
def delete_calendar_year(year: int):
    """Withdraw a year's mark: deadlines reaching it are left empty again."""
    row = db.get_or_404(CalendarYear, year)
    _reject_bad_post()
    db.session.delete(row)
    db.session.flush()
    _after_calendar_change(date(year, 1, 1))
    return redirect(url_for("queue.calendar"), 303)


# --- Reply templates ---------------------------------------------------------------------


@bp.get("/templates")
@role_required(Role.coordinator, Role.admin)
def list_templates():
    """Every reply template, by category (those for all categories first)."""
    categories = _categories()
    order = {c.code: i for i, c in enumerate(categories)}
    templates = sorted(
        db.session.scalars(select(ResponseTemplate)),
        key=lambda t: (t.category_code is not None, order.get(t.category_code, -1), t.title, t.id),
    )
    return render_template(
        "queue/admin/templates.html",
        templates=templates,
        categories={c.code: c for c in categories},
        delete_form=ConfirmForm(),
    )


def _template_form_page(template: ResponseTemplate | None):
    data = None
    if template is not None and request.method == "GET":
        data = {
            "category": template.category_code or "",
            "title": template.title,
            "body": template.body,
        }
    form = TemplateForm(data=data)
    form.set_choices(_categories())
    if form.validate_on_submit():
        if template is None:
            template = ResponseTemplate()
            db.session.add(template)
        template.category_code = form.category.data or None
        template.title = form.title.data
        template.body = form.body.data.strip()
        db.session.commit()
        flash(_("The template was saved."), "success")
        return redirect(url_for("queue.list_templates"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("queue/admin/template_form.html", form=form, template=template), status


@bp.route("/templates/new", methods=["GET", "POST"])
@role_required(Role.coordinator, Role.admin)
def new_template():
    """Add a reply template."""
    return _template_form_page(None)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@role_required(Role.coordinator, Role.admin)
def edit_template(template_id: int):
    """Change a reply template."""
    return _template_form_page(db.get_or_404(ResponseTemplate, template_id))


@bp.post("/templates/<int:template_id>/delete")
@role_required(Role.coordinator, Role.admin)
def delete_template(template_id: int):
    """Remove a reply template."""
    template = db.get_or_404(ResponseTemplate, template_id)
    _reject_bad_post()
    db.session.delete(template)
    db.session.commit()
    flash(_("The template was deleted."), "success")
    return redirect(url_for("queue.list_templates"), 303)


# --- Service levels of complaint categories ----------------------------------------------


def apply_service_levels(form: CategoriesForm, categories: list[ComplaintCategory]) -> bool:
    """Copy each posted row onto its category; False if a row names no category or repeats."""
    by_code = {c.code: c for c in categories}
    seen: set[str] = set()
    for row in form.rows:
        code = row.form.code.data
        if code not in by_code or code in seen:
            return False
        seen.add(code)
    for row in form.rows:
        category = by_code[row.form.code.data]
        category.urgent = row.form.urgent.data
        category.accept_workdays = row.form.accept_workdays.data
        category.complete_workdays = row.form.complete_workdays.data
        category.active = row.form.active.data
    return True


@bp.route("/categories", methods=["GET", "POST"])
@role_required(Role.coordinator, Role.admin)
def edit_categories():
    """Urgency, time limits and availability of each complaint category."""
    categories = _categories()
    data = None
    if request.method == "GET":
        data = {
            "rows": [
                {
                    "code": c.code,
                    "urgent": c.urgent,
                    "accept_workdays": c.accept_workdays,
                    "complete_workdays": c.complete_workdays,
                    "active": c.active,
                }
                for c in categories
            ]
        }
    form = CategoriesForm(data=data)
    if form.validate_on_submit():
        if not apply_service_levels(form, categories):
            db.session.rollback()
            abort(400)  # a forged or stale row: nothing is half-saved
        db.session.commit()
        flash(_("Saved. New reports get these time limits."), "success")
        return redirect(url_for("queue.edit_categories"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "queue/admin/categories.html", form=form, categories={c.code: c for c in categories}
    ), status
