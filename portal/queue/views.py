"""The agency queue: staff only, every query scoped to what the staff member may see."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..agencies.auth import no_store, role_required, staff_required
from ..agencies.models import Role
from ..complaints.models import Complaint, ComplaintCategory
from ..core.clock import utcnow
from ..core.errors import UserError
from ..core.storage import FileStore
from ..extensions import db
from ..formflow import done, run_form
from ..geo.models import Region
from . import access, actions, extension_requests, hotline, queries
from .calendar import calendar_gaps, load_calendar
from .forms import (
    ActionForm,
    DecisionForm,
    ExtensionForm,
    NoteForm,
    QueueFilterForm,
    RevealForm,
)
from .intake_forms import HotlineOrderForm
from .labels import DONE
from .models import ExtensionRequest
from .placement import assisting_ids, departments
from .settings import templates_for

# Cases whose reporter this browser session revealed: {case id: until (epoch seconds)}.
REVEALED_KEY = "revealed_reporters"
REVEAL_SECONDS = 15 * 60

bp = Blueprint("queue", __name__, url_prefix="/queue")
bp.before_request(staff_required)


# Case data and reporter identities must not linger in shared caches or history.
bp.after_request(no_store)


@bp.get("/")
def index():
    """My department's cases (all cases for the coordinator), soonest deadline first."""
    form = QueueFilterForm(request.args)
    now = utcnow()
    regions = db.session.scalars(
        select(Region).where(Region.parent_id.is_not(None)).order_by(Region.code)
    ).all()
    if not form.validate():
        return render_template(
            "queue/index.html", form=form, page=None, now=now, regions=regions
        ), 400
    filters = queries.QueueFilters(
        state=form.state.data or None,
        overdue=form.overdue.data,
        due_soon=form.due_soon.data,
        escalated=form.escalated.data,
        category=form.category.data or None,
        outfall=(form.outfall.data or "").strip().upper() or None,
        region=form.region.data or None,
        department=form.department.data,
        triage=form.triage.data,
        sort=form.sort.data or "due",
        desc=form.desc.data,
    )
    try:
        page = queries.queue_page(current_user, filters, now, after=form.after.data or None)
    except UserError as error:
        form.after.errors = [error.message]
        return render_template(
            "queue/index.html", form=form, page=None, now=now, regions=regions
        ), 400
    undated = queries.undated_cases(current_user, filters, now) if page.undated else []
    return render_template(
        "queue/index.html",
        form=form,
        page=page,
        filters=filters,
        undated=undated,
        now=now,
        cal=load_calendar(),
        regions=regions,
        categories=db.session.scalars(select(ComplaintCategory)).all(),
        departments=departments() if current_user.is_coordinator else [],
        extensions=extension_requests.pending_extensions(current_user),
        # Those who can enter the holidays are told; others see it on the cases it affects.
        calendar_gaps=calendar_gaps(now) if current_user.is_coordinator else [],
        # Cases the department only assists are listed once, on the first page.
        assisted=[] if form.after.data else queries.assisted_cases(current_user),
    )


@bp.get("/overview")
@role_required(Role.coordinator, Role.admin)
def overview():
    """The coordinator's desk: workload per department, triage, overdue and escalations."""
    now = utcnow()
    return render_template(
        "queue/overview.html",
        workload=queries.workload(now),
        extensions=extension_requests.pending_extensions(current_user),
        calendar_gaps=calendar_gaps(now),
        now=now,
    )


def _case_or_404(complaint_id: int) -> Complaint:
    complaint = access.case_for(current_user, complaint_id)
    if complaint is None:
        abort(404)  # not "forbidden": an id typed into a URL reveals nothing
    return complaint


def _revealed(complaint_id: int, now) -> bool:
    until = session.get(REVEALED_KEY, {}).get(str(complaint_id))
    return until is not None and until > now.timestamp()


def _render_case(
    complaint: Complaint,
    *,
    action_form=None,
    note_form=None,
    ext_form=None,
    hotline_form=None,
    status: int = 200,
):
    now = utcnow()
    reporter = access.reporter_of(current_user, complaint)
    action_form = action_form or ActionForm()
    action_form.department_id.choices = [
        (d.id, d.name) for d in departments() if d.id != complaint.department_id
    ]
    return render_template(
        "queue/case.html",
        complaint=complaint,
        reporter=reporter,
        revealed=reporter is not None and _revealed(complaint.id, now),
        reveal_form=RevealForm(),
        hotline_form=hotline_form or HotlineOrderForm(),
        cal=load_calendar(),
        # A deadline left empty because its year's holidays are missing: say so here.
        calendar_gaps=calendar_gaps(now)
        if complaint.is_open
        and (complaint.accept_due_at is None or complaint.complete_due_at is None)
        else [],
        actions=access.available_actions(current_user, complaint),
        handles=access.handles(current_user, complaint),
        assisting=assisting_ids(complaint.id),
        action_form=action_form,
        note_form=note_form or NoteForm(),
        ext_form=ext_form or ExtensionForm(),
        decision_form=DecisionForm(),
        extension_requests=extension_requests.requests_for(complaint.id),
        templates=templates_for(complaint.category.code),
        departments={d.id: d for d in departments()},
        now=now,
    ), status


@bp.get("/cases/<int:complaint_id>")
def show_case(complaint_id: int):
    """One case: timeline, photos, map, reporter (handling department only), actions."""
    return _render_case(_case_or_404(complaint_id))


@bp.post("/cases/<int:complaint_id>/act")
def act_on_case(complaint_id: int):
    """Apply a workflow action."""
    complaint = _case_or_404(complaint_id)
    form = ActionForm()
    form.department_id.choices = [(d.id, d.name) for d in departments()]
    action = form.parsed_action()
    if not form.validate() or action is None:
        abort(400)
    merge_into = None
    if form.merge_into.data:
        merge_into = access.case_id_by_number(current_user, form.merge_into.data) or -1
    try:
        actions.act(
            current_user,
            complaint,
            actions.ActInput(action, form.message.data or "", form.department_id.data, merge_into),
            utcnow(),
        )
    except UserError as error:
        db.session.rollback()
        form.message.errors = [error.message]
        return _render_case(_case_or_404(complaint_id), action_form=form, status=400)
    db.session.commit()
    flash(DONE[action.value] % {"number": complaint.tracking_no}, "success")
    if access.case_for(current_user, complaint_id) is None:
        return redirect(url_for("queue.index"), 303)  # transferred away: no longer ours
    return redirect(url_for("queue.show_case", complaint_id=complaint_id), 303)


@bp.post("/cases/<int:complaint_id>/note")
def add_note(complaint_id: int):
    """An internal note, or a public reply to the reporter."""
    complaint = _case_or_404(complaint_id)
    form = NoteForm()
    if not run_form(
        form,
        lambda: actions.add_note(
            current_user, complaint, form.text.data, public=form.public.data, now=utcnow()
        ),
        "text",
    ):
        return _render_case(_case_or_404(complaint_id), note_form=form, status=400)
    message = (
        _("Reply to the reporter of %(number)s sent.", number=complaint.tracking_no)
        if form.public.data
        else _("Note added to %(number)s.", number=complaint.tracking_no)
    )
    return done(message, url_for("queue.show_case", complaint_id=complaint_id))


@bp.post("/cases/<int:complaint_id>/reveal")
def reveal_reporter(complaint_id: int):
    """Show who reported the case, for a while, to this staff member; the reveal is logged."""
    complaint = _case_or_404(complaint_id)
    if not RevealForm().validate():
        abort(400)
    now = utcnow()
    reporter = access.reveal_reporter(current_user, complaint, now)
    if reporter is None:
        abort(404)
    db.session.commit()
    revealed = {k: v for k, v in session.get(REVEALED_KEY, {}).items() if v > now.timestamp()}
    revealed[str(complaint_id)] = now.timestamp() + REVEAL_SECONDS
    session[REVEALED_KEY] = revealed
    return redirect(url_for("queue.show_case", complaint_id=complaint_id) + "#reporter-h", 303)


@bp.post("/cases/<int:complaint_id>/hotline")
def link_hotline_order(complaint_id: int):
    """Mark the case as transferred from a 12345 work order."""
    complaint = _case_or_404(complaint_id)
    form = HotlineOrderForm()
    if not run_form(
        form,
        lambda: hotline.link_order(current_user, complaint, form.order_no.data, utcnow()),
        "order_no",
    ):
        return _render_case(_case_or_404(complaint_id), hotline_form=form, status=400)
    return done(
        _(
            "Case %(number)s linked to 12345 work order %(order)s.",
            number=complaint.tracking_no,
            order=complaint.hotline_order_no,
        ),
        url_for("queue.show_case", complaint_id=complaint_id),
    )


@bp.get("/cases/<int:complaint_id>/reply.txt")
def hotline_reply(complaint_id: int):
    """The case's reply as text for the 12345 operator to paste back."""
    complaint = _case_or_404(complaint_id)
    if not access.handles(current_user, complaint):
        abort(404)
    body = hotline.reply_text(complaint, {d.id: d for d in departments()})
    response = current_app.response_class(body, mimetype="text/plain")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{complaint.tracking_no}-12345.txt"'
    )
    return response


@bp.post("/cases/<int:complaint_id>/extension")
def request_extension(complaint_id: int):
    """Ask for more time."""
    complaint = _case_or_404(complaint_id)
    form = ExtensionForm()
    if not run_form(
        form,
        lambda: extension_requests.request_extension(
            current_user, complaint, form.days.data, form.reason.data, utcnow()
        ),
        "reason",
    ):
        return _render_case(_case_or_404(complaint_id), ext_form=form, status=400)
    return done(
        _(
            "An extension of %(days)s days was requested for %(number)s.",
            days=form.days.data,
            number=complaint.tracking_no,
        ),
        url_for("queue.show_case", complaint_id=complaint_id),
    )


@bp.post("/extensions/<int:request_id>/decide")
def decide_extension(request_id: int):
    """Approve or refuse an extension (department head or coordinator)."""
    extension = db.session.get(ExtensionRequest, request_id)
    if extension is None or access.case_for(current_user, extension.complaint_id) is None:
        abort(404)
    form = DecisionForm()
    if not form.validate():
        abort(400)
    approve = form.approve.data == "1"
    try:
        extension_requests.decide_extension(current_user, extension, approve, utcnow())
    except UserError:
        abort(403)
    number = db.session.get(Complaint, extension.complaint_id).tracking_no
    message = (
        _("Extension of %(number)s by %(days)s days approved.", number=number, days=extension.days)
        if approve
        else _("Extension of %(number)s refused.", number=number)
    )
    return done(message, url_for("queue.show_case", complaint_id=extension.complaint_id))


@bp.get("/cases/<int:complaint_id>/photos/<int:photo_id>/<kind>")
def case_photo(complaint_id: int, photo_id: int, kind: str):
    """A case photo for staff: the public copy, the thumbnail, or (handling side) the original."""
    complaint = _case_or_404(complaint_id)
    photo = next((p for p in complaint.photos if p.id == photo_id), None)
    if photo is None or kind not in ("photo", "thumb", "original"):
        abort(404)
    if kind == "original":
        if not access.handles(current_user, complaint):
            abort(404)
        path = FileStore(current_app.config["EVIDENCE_DIR"]).path(photo.original_sha256)
        mimetype = "application/octet-stream"
    else:
        sha = photo.public_sha256 if kind == "photo" else photo.thumb_sha256
        path = FileStore(current_app.config["UPLOAD_DIR"]).path(sha)
        mimetype = "image/jpeg"
    if not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype=mimetype,
        as_attachment=kind == "original",
        download_name=f"{complaint.tracking_no}-{photo.id}-{kind}",
    )
