"""Staff pages of remediation (/manage/…, blueprint "remediation_manage"): an outfall's plan
(一口一策) with its milestones, the three sign-off steps with their documents, and the
yearly targets.

Deny by default (`roles_guard` over MANAGE_ROLES, `no_store`); every outfall is looked up
through access.outfall_for_edit (another department's outfall, milestone or document answers
404); targets are the coordinator's (403 for others). The rules are in plans.py (plans,
targets) and services.py / signoff.py (milestones, steps): these views parse, call one
service, commit; a refusal is shown next to its field with everything typed kept.
"""

from dataclasses import replace

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..agencies.auth import no_store, roles_guard
from ..agencies.models import Department, Role
from ..core.clock import local_today
from ..core.codes import normalise_code
from ..core.storage import FileStore
from ..extensions import db
from ..formflow import done, run_form, show_error
from ..geo.models import Region
from ..i18n import localname
from ..outfalls import access
from ..outfalls.ledger import stormwater_rule
from ..outfalls.models import RemediationCategory, RemediationMilestone
from . import plans, services
from .documents import checked_upload
from .manage_forms import MilestoneDoneForm, PlanForm, StepForm, TargetForm
from .models import RemediationDocument, RemediationTarget
from .signoff import Action, allowed_actions
from .views import signoff_steps

bp = Blueprint("remediation_manage", __name__, url_prefix="/manage")
bp.before_request(roles_guard(*access.MANAGE_ROLES))
bp.after_request(no_store)

ACTIONS = "any(submit, confirm, dept_return, approve, coordinator_return)"
STEP_BUTTONS = {
    Action.submit: _l("Submit the proof"),
    Action.confirm: _l("Confirm"),
    Action.dept_return: _l("Return to step 1"),
    Action.approve: _l("Approve: sign off"),
    Action.coordinator_return: _l("Return to step 1"),
}


def _outfall_or_404(code: str):
    outfall = access.outfall_for_edit(current_user, normalise_code(code))
    if outfall is None:
        abort(404)
    return outfall


def _plan_url(outfall) -> str:
    return url_for("remediation_manage.plan", code=outfall.code)


def _uploads(field) -> list:
    """The files of a form field, each checked (a refusal lands next to that field)."""
    return [
        checked_upload(f, field.short_name)
        for f in request.files.getlist(field.name)
        if f and f.filename
    ]


def _plan_form(outfall) -> PlanForm:
    form = PlanForm()
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    form.responsible_department_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(d.id, localname(d)) for d in departments
    ]
    if request.method == "GET":
        plan = outfall.remediation_plan
        if plan is None:
            form.responsible_department_id.data = outfall.supervising_department_id
        else:
            data = plans.PlanData.from_plan(plan)
            form.category.data = data.category.value
            form.measures.data = data.measures
            form.deadline.data = data.deadline
            form.transition_until.data = data.transition_until
            form.transition_reason.data = data.transition_reason
            form.merge_target.data = data.merge_target_code
            form.responsible_department_id.data = data.responsible_department_id
            form.milestones.data = plans.milestone_lines(data.milestones)
    return form


def _milestone_forms(plan, given=None) -> dict[int, MilestoneDoneForm]:
    forms = {}
    for m in plan.milestones if plan else ():
        if m.done_on is not None:
            continue
        if given is not None and given[0] == m.id:
            forms[m.id] = given[1]
        else:
            forms[m.id] = MilestoneDoneForm(prefix=f"m{m.id}", formdata=None)
    return forms


def _offered(plan) -> list[Action]:
    """The steps this actor's role takes now. Open milestones do not hide the proof form:
    submitting it is refused, with the rule, by the service."""
    if plan is None:
        return []
    state = services.plan_state(plan)
    return allowed_actions(
        services.actor_of(current_user),
        replace(state, open_milestones=0, milestones=max(state.milestones, 1)),
    )


def _step_forms(plan, given=None) -> dict[str, StepForm]:
    """A form for each step offered; a refused one stays shown with its refusal."""
    forms = {}
    for action in _offered(plan):
        form = StepForm(prefix=action.value, formdata=None)
        form.occurred_on.data = local_today()
        forms[action.value] = form
    if given is not None:
        forms[given[0]] = given[1]
    return forms


def _page(outfall, plan_form=None, milestone=None, step=None, status=200):
    plan = outfall.remediation_plan
    documents = []
    if plan is not None:
        documents = db.session.scalars(
            select(RemediationDocument)
            .where(RemediationDocument.plan_id == plan.id)
            .order_by(RemediationDocument.id)
        ).all()
    return render_template(
        "remediation_manage/plan.html",
        outfall=outfall,
        plan=plan,
        form=plan_form or _plan_form(outfall),
        milestone_forms=_milestone_forms(plan, milestone),
        step_forms=_step_forms(plan, step),
        steps=signoff_steps(plan) if plan else [],
        step_titles={a.value: t for a, t in services.STEP_TITLES.items()},
        step_buttons={a.value: t for a, t in STEP_BUTTONS.items()},
        documents=documents,
        stormwater_rule=stormwater_rule() if outfall.is_stormwater else None,
        max_mb=current_app.config["REMEDIATION_MAX_FILE_BYTES"] // (1024 * 1024),
    ), status


def _plan_data(form: PlanForm) -> plans.PlanData:
    return plans.PlanData(
        category=RemediationCategory(form.category.data),
        measures=form.measures.data or "",
        deadline=form.deadline.data,
        transition_until=form.transition_until.data,
        transition_reason=form.transition_reason.data or "",
        merge_target_code=form.merge_target.data or "",
        responsible_department_id=form.responsible_department_id.data,
        milestones=plans.parse_milestones(form.milestones.data or ""),
    )


@bp.route("/outfalls/<code>/plan", methods=["GET", "POST"])
def plan(code: str):
    """The outfall's plan: create or edit it; its milestones and sign-off steps below."""
    outfall = _outfall_or_404(code)
    form = _plan_form(outfall)
    if request.method == "GET":
        return _page(outfall, form)

    def save():
        data = _plan_data(form)
        _target, problems = plans.check_plan(current_user, outfall, data)
        for problem in problems[1:]:  # every problem at once, each next to its field
            show_error(form, problem)
        if problems:
            raise problems[0]
        plans.save_plan(current_user, outfall, data, form.reason.data or "", local_today())

    if not run_form(form, save, "category"):
        return _page(_outfall_or_404(code), form, status=400)
    return done(_("The plan of %(code)s was saved.", code=outfall.code), _plan_url(outfall))


@bp.post("/outfalls/<code>/plan/milestones/<int:milestone_id>/done")
def milestone_done(code: str, milestone_id: int):
    """Mark a milestone done, with its date and evidence."""
    outfall = _outfall_or_404(code)
    plan = outfall.remediation_plan
    milestone = db.session.get(RemediationMilestone, milestone_id)
    if plan is None or milestone is None or milestone.plan_id != plan.id:
        abort(404)
    form = MilestoneDoneForm(prefix=f"m{milestone.id}")
    ok = run_form(
        form,
        lambda: services.complete_milestone(
            current_user,
            plan,
            milestone,
            form.done_on.data,
            form.note.data or "",
            _uploads(form.files),
            local_today(),
        ),
        "done_on",
    )
    if not ok:
        outfall = _outfall_or_404(code)
        if milestone.done_on is not None:  # done meanwhile: no form to show the refusal in
            for message in (e for errors in form.errors.values() for e in errors):
                flash(str(message), "error")
            return _page(outfall, status=400)
        return _page(outfall, milestone=(milestone_id, form), status=400)
    return done(_("Milestone %(title)s is done.", title=milestone.title), _plan_url(outfall))


@bp.post(f"/outfalls/<code>/plan/steps/<{ACTIONS}:action>")
def step(code: str, action: str):
    """Take one sign-off step (proof, confirmation or return, approval or return)."""
    outfall = _outfall_or_404(code)
    plan = outfall.remediation_plan
    if plan is None:
        abort(404)
    form = StepForm(prefix=action)

    def take():
        services.take_step(
            current_user,
            plan,
            Action(action),
            services.StepForm(
                occurred_on=form.occurred_on.data,
                reason=form.reason.data or "",
                document_number=form.document_number.data or "",
                document_date=form.document_date.data,
                uploads=_uploads(form.files),
            ),
            local_today(),
        )

    if not run_form(form, take, "occurred_on"):
        return _page(_outfall_or_404(code), step=(action, form), status=400)
    return done(
        _("%(step)s: saved.", step=services.STEP_TITLES[Action(action)]), _plan_url(outfall)
    )


@bp.get("/outfalls/<code>/plan/documents/<int:doc_id>")
def document(code: str, doc_id: int):
    """A document of the plan, for the staff who keep it (public only after sign-off)."""
    outfall = _outfall_or_404(code)
    doc = db.session.get(RemediationDocument, doc_id)
    if (
        doc is None
        or outfall.remediation_plan is None
        or doc.plan_id != outfall.remediation_plan.id
    ):
        abort(404)
    path = FileStore(current_app.config["UPLOAD_DIR"]).resolve(doc.sha256)
    if path is None:
        abort(404)
    return send_file(path, mimetype=doc.content_type, download_name=doc.filename)


# --- Targets (the coordinator's) ---------------------------------------------------------


def _coordinator() -> None:
    if current_user.role is not Role.coordinator:
        abort(403)


@bp.get("/targets")
def targets():
    """The yearly targets, with their source documents."""
    _coordinator()
    rows = db.session.scalars(
        select(RemediationTarget).order_by(RemediationTarget.due_on, RemediationTarget.id)
    ).all()
    return render_template("remediation_manage/targets.html", targets=rows)


def _target_form(target=None) -> TargetForm:
    form = TargetForm(obj=target if request.method == "GET" else None)
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    form.region_id.choices = [SelectChoice("", _("The whole deployment"))] + [
        SelectChoice(r.id, f"{r.code} {localname(r)}") for r in regions
    ]
    return form


def _target_page(form, target):
    if request.method == "POST":

        def save():
            data = plans.TargetData(
                due_on=form.due_on.data,
                percent=form.percent.data,
                source=form.source.data or "",
                region_id=form.region_id.data,
                note=form.note.data or "",
            )
            problems = plans.check_target(current_user, data)
            for problem in problems[1:]:
                show_error(form, problem)
            if problems:
                raise problems[0]
            plans.save_target(current_user, data, target)

        if run_form(form, save, "source"):
            return done(_("The target was saved."), url_for("remediation_manage.targets"))
    status = 400 if request.method == "POST" else 200
    return render_template("remediation_manage/target_form.html", form=form, target=target), status


@bp.route("/targets/new", methods=["GET", "POST"])
def new_target():
    """Add a target."""
    _coordinator()
    return _target_page(_target_form(), None)


@bp.route("/targets/<int:target_id>/edit", methods=["GET", "POST"])
def edit_target(target_id: int):
    """Change a target."""
    _coordinator()
    target = db.session.get(RemediationTarget, target_id)
    if target is None:
        abort(404)
    return _target_page(_target_form(target), target)
