"""The coordinator's pages: routing rules, holidays, reply templates, service levels.

A blueprint of its own: `before_request` asks for a signed-in staff member (else the
sign-in page) who is the coordinator or an admin (else 403), so a page added here is
guarded before it is written. The logic is in placement, calendar and settings.
"""

from collections.abc import Callable
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..agencies.auth import no_store, roles_guard
from ..agencies.models import Role
from ..core.clock import local_today, utcnow
from ..core.errors import UserError
from ..extensions import db
from ..formflow import done, show_error
from ..i18n import localname
from .admin_forms import (
    CalendarDayForm,
    CalendarYearForm,
    CategoriesForm,
    ConfirmForm,
    RouteTestForm,
    RuleForm,
    TemplateForm,
)
from .calendar import (
    RecomputeReport,
    calendar_overview,
    enter_year,
    remove_calendar_day,
    set_calendar_day,
    withdraw_year,
)
from .models import CalendarOverride, CalendarYear, ResponseTemplate, RoutingRule
from .placement import RuleInput, departments, ranked_rules, save_rule, try_route
from .settings import (
    ServiceLevel,
    TemplateInput,
    apply_service_levels,
    categories,
    ordered_templates,
    save_template,
)

bp = Blueprint("queue_admin", __name__, url_prefix="/queue")
bp.after_request(no_store)


bp.before_request(roles_guard(Role.coordinator, Role.admin))


def _reject_bad_post() -> None:
    """A delete button without a valid CSRF token is refused outright."""
    if not ConfirmForm().validate():
        abort(400)


def _form_page(form, save: Callable[[], object], saved: str, back: str, page: str, **context):
    """A page with one form: on a valid POST save, commit, flash and go `back` (303);
    otherwise (a GET, or errors, also the service's) show the form (400 after a POST)."""
    if form.validate_on_submit():
        try:
            save()
        except UserError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            return done(saved, url_for(back))
    status = 400 if request.method == "POST" else 200
    return render_template(page, form=form, **context), status


# --- Routing rules -----------------------------------------------------------------------


@bp.get("/rules")
def list_rules():
    """Every routing rule, most specific first, and a form to test which rule wins."""
    in_order = categories()
    test_form = RouteTestForm(request.args, prefix="test")
    test_form.set_choices(in_order)
    tested, route, status = False, None, 200
    if "test-category" in request.args:
        if test_form.validate():
            try:
                route = try_route(
                    test_form.category.data,
                    test_form.outfall_type.data or None,
                    test_form.region_code.data or None,
                )
                tested = True
            except UserError as error:
                show_error(test_form, error)
        if not tested:
            status = 400
    rules, regions = ranked_rules()
    by_id = {d.id: d for d in departments()}
    return render_template(
        "queue/admin/rules.html",
        rules=rules,
        regions=regions,
        categories={c.code: c for c in in_order},
        test_form=test_form,
        tested=tested,
        route=route,
        route_assisting=[localname(by_id[d]) for d in route.assisting] if route else [],
        departments=by_id,
        delete_form=ConfirmForm(),
    ), status


def _rule_form_page(rule: RoutingRule | None):
    data = None
    if rule is not None and request.method == "GET":
        data = {
            "category": rule.category_code or "",
            "outfall_type": rule.outfall_type or "",
            "outfall_subtype": rule.outfall_subtype or "",
            "region_code": rule.region_code or "",
            "lead_department": rule.lead_department_id,
            "assisting": [d.id for d in rule.assisting],
            "note": rule.note,
        }
    form = RuleForm(data=data)
    form.set_choices(categories(), departments())
    return _form_page(
        form,
        lambda: save_rule(rule, _rule_input(form)),
        _("The rule was saved. It applies to new reports."),
        "queue_admin.list_rules",
        "queue/admin/rule_form.html",
        rule=rule,
    )


def _rule_input(form: RuleForm) -> RuleInput:
    return RuleInput(
        category=form.category.data or None,
        outfall_type=form.outfall_type.data or None,
        outfall_subtype=form.outfall_subtype.data or None,
        region_code=form.region_code.data or None,
        lead_department_id=form.lead_department.data,
        assisting=tuple(form.assisting.data or ()),
        note=form.note.data or "",
    )


@bp.route("/rules/new", methods=["GET", "POST"])
def new_rule():
    """Add a routing rule."""
    return _rule_form_page(None)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id: int):
    """Change a routing rule."""
    return _rule_form_page(db.get_or_404(RoutingRule, rule_id))


@bp.post("/rules/<int:rule_id>/delete")
def delete_rule(rule_id: int):
    """Remove a routing rule; cases it placed stay where they are."""
    rule = db.get_or_404(RoutingRule, rule_id)
    _reject_bad_post()
    db.session.delete(rule)
    return done(_("The rule was deleted."), url_for("queue_admin.list_rules"))


# --- Holidays and deadlines --------------------------------------------------------------


def _saved_calendar(report: RecomputeReport):
    """Commit a calendar change, tell the coordinator what moved, back to the calendar."""
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
    return redirect(url_for("queue_admin.calendar"), 303)


def _calendar_page(day_form=None, year_form=None, status: int = 200):
    overview = calendar_overview(local_today())
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
def calendar():
    """Which years' holidays are known, and the coordinator's overrides."""
    return _calendar_page()


@bp.post("/calendar/days")
def add_calendar_day():
    """Declare a day a holiday or a working day (or change what it was declared)."""
    form = CalendarDayForm()
    if not form.validate():
        return _calendar_page(day_form=form, status=400)
    report = set_calendar_day(
        form.day.data,
        is_workday=form.kind.data == "workday",
        note=form.note.data or "",
        now=utcnow(),
    )
    return _saved_calendar(report)


@bp.post("/calendar/days/<day>/delete")
def delete_calendar_day(day: str):
    """Remove an override: the day is again what chinesecalendar (or the weekday) says."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    override = db.get_or_404(CalendarOverride, parsed)
    _reject_bad_post()
    return _saved_calendar(remove_calendar_day(override, utcnow()))


@bp.post("/calendar/years")
def mark_year_entered():
    """Declare a year's holidays completely entered: its other days follow the weekdays."""
    form = CalendarYearForm()
    if not form.validate():
        return _calendar_page(year_form=form, status=400)
    return _saved_calendar(enter_year(form.year.data, utcnow()))


@bp.post("/calendar/years/<int:year>/delete")
def delete_calendar_year(year: int):
    """Withdraw a year's mark: deadlines reaching it are left empty again."""
    row = db.get_or_404(CalendarYear, year)
    _reject_bad_post()
    return _saved_calendar(withdraw_year(row, utcnow()))


# --- Reply templates ---------------------------------------------------------------------


@bp.get("/templates")
def list_templates():
    """Every reply template, by category (those for all categories first)."""
    in_order = categories()
    return render_template(
        "queue/admin/templates.html",
        templates=ordered_templates(in_order),
        categories={c.code: c for c in in_order},
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
    form.set_choices(categories())
    return _form_page(
        form,
        lambda: save_template(
            template, TemplateInput(form.category.data or None, form.title.data, form.body.data)
        ),
        _("The template was saved."),
        "queue_admin.list_templates",
        "queue/admin/template_form.html",
        template=template,
    )


@bp.route("/templates/new", methods=["GET", "POST"])
def new_template():
    """Add a reply template."""
    return _template_form_page(None)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
def edit_template(template_id: int):
    """Change a reply template."""
    return _template_form_page(db.get_or_404(ResponseTemplate, template_id))


@bp.post("/templates/<int:template_id>/delete")
def delete_template(template_id: int):
    """Remove a reply template."""
    template = db.get_or_404(ResponseTemplate, template_id)
    _reject_bad_post()
    db.session.delete(template)
    return done(_("The template was deleted."), url_for("queue_admin.list_templates"))


# --- Service levels of complaint categories ----------------------------------------------


@bp.route("/categories", methods=["GET", "POST"])
def edit_categories():
    """Urgency, time limits and availability of each complaint category."""
    in_order = categories()
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
                for c in in_order
            ]
        }
    form = CategoriesForm(data=data)
    return _form_page(
        form,
        lambda: _save_service_levels(form),
        _("Saved. New reports get these time limits."),
        "queue_admin.edit_categories",
        "queue/admin/categories.html",
        categories={c.code: c for c in in_order},
    )


def _save_service_levels(form: CategoriesForm) -> None:
    rows = [
        ServiceLevel(
            code=row.form.code.data,
            urgent=row.form.urgent.data,
            accept_workdays=row.form.accept_workdays.data,
            complete_workdays=row.form.complete_workdays.data,
            active=row.form.active.data,
        )
        for row in form.rows
    ]
    if not apply_service_levels(rows):
        db.session.rollback()
        abort(400)  # a forged or stale row: nothing is half-saved
