"""Staff pages for an outfall's approvals and monitoring (/manage/…, blueprint
"records_manage"): publish, correct, supersede and revoke decisions with their PDFs; enter,
correct and upload (CSV) monitoring. Deny by default (`roles_guard`), never cached
(`no_store`); an outfall or record the actor may not edit answers 404. The logic is in
`approvals` and `monitoring_entry`; these views parse, call one service, commit.
"""

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..agencies.auth import no_store, roles_guard
from ..core.clock import local_today, utcnow
from ..core.codes import normalise_code
from ..extensions import db
from ..formflow import done, run_form
from . import access, approvals, legal, monitoring_entry, services
from .labels import APPROVAL_KIND
from .records_forms import ApprovalForm, MonitoringUploadForm, RevokeForm, SampleForm

bp = Blueprint("records_manage", __name__, url_prefix="/manage")
bp.before_request(roles_guard(*access.MANAGE_ROLES))
bp.after_request(no_store)


def _outfall_or_404(code: str):
    outfall = access.outfall_for_edit(current_user, normalise_code(code))
    if outfall is None:
        abort(404)
    return outfall


def _records_url(outfall) -> str:
    return url_for("records_manage.outfall_records", code=outfall.code)


@bp.get("/outfalls/<code>/records")
def outfall_records(code: str):
    """An outfall's decisions (every version) and recent samples, with what staff can do."""
    outfall = _outfall_or_404(code)
    return render_template(
        "records_manage/outfall_records.html",
        outfall=outfall,
        versions=approvals.public_versions(outfall.approvals),
        legal_state=legal.status_of(outfall, local_today()),
        samples=services.evaluate(outfall, services.latest_records(outfall.id, 50)),
    )


# --- Approvals ----------------------------------------------------------------------


def _uploads(form: ApprovalForm) -> list[approvals.DocumentUpload]:
    # Read one byte past the limit: enough to refuse an oversized file by its size.
    limit = approvals.max_pdf_bytes() + 1
    return [
        approvals.DocumentUpload(form.document_title.data or "", f.filename, f.read(limit))
        for f in request.files.getlist(form.documents.name)
        if f and f.filename
    ]


def _approval_form(outfall, mode: str, approval=None) -> ApprovalForm:
    form = ApprovalForm()
    form.kind.choices = [("", _("Choose…"))] + [
        (k.value, str(APPROVAL_KIND[k.value])) for k in legal.allowed_kinds(outfall.water_kind)
    ]
    if request.method == "GET" and approval is not None and mode == "correct":
        form.fill_from(approval)
    return form


def _render_approval(form, outfall, mode: str, approval=None, status: int = 200):
    return render_template(
        "records_manage/approval_form.html",
        form=form,
        outfall=outfall,
        mode=mode,
        approval=approval,
        required=legal.required_kind(outfall.water_kind, outfall.category_l1),
        max_mb=current_app.config["APPROVAL_PDF_MAX_MB"],
    ), status


def _finish(published: approvals.Published, message: str):
    response = done(message, _records_url(published.approval.outfall))
    approvals.publish_files(published)  # after the commit (a crash: cleanup-files)
    return response


@bp.route("/outfalls/<code>/approvals/new", methods=["GET", "POST"])
def new_approval(code: str):
    """Publish a decision (审批, 登记 or 备案) with its PDF documents."""
    outfall = _outfall_or_404(code)
    form = _approval_form(outfall, "new")
    if request.method == "GET":
        return _render_approval(form, outfall, "new")
    result = []
    ok = run_form(
        form,
        lambda: result.append(
            approvals.create_approval(
                current_user,
                outfall,
                form.to_input(),
                _uploads(form),
                utcnow(),
                reason=form.reason.data or "",
            )
        ),
        "decision_no",
    )
    if not ok:
        return _render_approval(form, outfall, "new", status=400)
    return _finish(result[0], _("Decision %(no)s published.", no=result[0].approval.decision_no))


def _approval_or_404(approval_id: int):
    approval = approvals.approval_for_edit(current_user, approval_id)
    if approval is None:
        abort(404)
    return approval


def _replace_view(approval_id: int, mode: str):
    approval = _approval_or_404(approval_id)
    outfall = approval.outfall
    form = _approval_form(outfall, mode, approval)
    if request.method == "GET":
        return _render_approval(form, outfall, mode, approval)
    service = approvals.correct_approval if mode == "correct" else approvals.supersede_approval
    result = []
    ok = run_form(
        form,
        lambda: result.append(
            service(
                current_user,
                approval,
                form.to_input(),
                form.reason.data or "",
                _uploads(form),
                utcnow(),
            )
        ),
        "reason",
    )
    if not ok:
        return _render_approval(form, outfall, mode, approval, status=400)
    message = (
        _("Decision %(no)s corrected; the earlier version is kept.", no=approval.decision_no)
        if mode == "correct"
        else _("Decision %(no)s superseded.", no=approval.decision_no)
    )
    return _finish(result[0], message)


@bp.route("/approvals/<int:approval_id>/correct", methods=["GET", "POST"])
def correct_approval(approval_id: int):
    """Correct a published decision (with a reason); the old version stays published."""
    return _replace_view(approval_id, "correct")


@bp.route("/approvals/<int:approval_id>/supersede", methods=["GET", "POST"])
def supersede_approval(approval_id: int):
    """Publish the decision that replaces this one (renewal, change)."""
    return _replace_view(approval_id, "supersede")


@bp.route("/approvals/<int:approval_id>/revoke", methods=["GET", "POST"])
def revoke_approval(approval_id: int):
    """Revoke a decision from a date, with a reason."""
    approval = _approval_or_404(approval_id)
    form = RevokeForm()
    if request.method == "GET":
        form.revoked_on.data = local_today()
    elif run_form(
        form,
        lambda: approvals.revoke_approval(
            current_user, approval, form.revoked_on.data, form.reason.data, utcnow()
        ),
        "reason",
    ):
        return done(
            _("Decision %(no)s revoked.", no=approval.decision_no), _records_url(approval.outfall)
        )
    status = 400 if form.errors else 200
    return render_template(
        "records_manage/revoke_approval.html", form=form, approval=approval
    ), status


# --- Monitoring -----------------------------------------------------------------------


def _render_sample(form, outfall, record=None, status: int = 200):
    return render_template(
        "records_manage/sample_form.html", form=form, outfall=outfall, record=record
    ), status


@bp.route("/outfalls/<code>/monitoring/new", methods=["GET", "POST"])
def new_sample(code: str):
    """Enter one monitoring sample of an outfall."""
    outfall = _outfall_or_404(code)
    form = SampleForm()
    if request.method == "GET":
        return _render_sample(form, outfall)
    ok = run_form(
        form,
        lambda: monitoring_entry.add_sample(
            current_user, outfall, monitoring_entry.sample_input(form.values()), utcnow()
        ),
        "sampled_at",
    )
    if not ok:
        return _render_sample(form, outfall, status=400)
    return done(_("Sample stored."), _records_url(outfall))


@bp.route("/monitoring/<int:record_id>/correct", methods=["GET", "POST"])
def correct_sample(record_id: int):
    """Correct a stored sample (with a reason); the original is kept, superseded."""
    record = monitoring_entry.record_for_edit(current_user, record_id)
    if record is None:
        abort(404)
    outfall = record.outfall
    form = (
        SampleForm(data=monitoring_entry.to_input_values(record))
        if request.method == "GET"
        else SampleForm()
    )
    if request.method == "GET":
        return _render_sample(form, outfall, record)
    ok = run_form(
        form,
        lambda: monitoring_entry.correct_sample(
            current_user,
            record,
            monitoring_entry.sample_input(form.values()),
            form.reason.data or "",
            utcnow(),
        ),
        "reason",
    )
    if not ok:
        return _render_sample(form, outfall, record, status=400)
    return done(_("Sample corrected; the original is kept."), _records_url(outfall))


@bp.route("/monitoring/upload", methods=["GET", "POST"])
def upload_monitoring():
    """Samples of many outfalls from one CSV: all stored, or none, with a row-by-row report."""
    form = MonitoringUploadForm()
    report = None
    status = 200
    if request.method == "POST" and form.validate():
        upload = request.files.get(form.file.name)
        if upload is None or not upload.filename:
            form.file.errors = [_("Choose a CSV file.")]
            status = 400
        else:
            limit = int(float(current_app.config["MONITORING_CSV_MAX_MB"]) * 1024 * 1024)
            report = monitoring_entry.upload_csv(current_user, upload.read(limit + 1), utcnow())
            if report.applied:
                db.session.commit()
            else:
                db.session.rollback()
                status = 400
    elif request.method == "POST":
        status = 400
    return render_template(
        "records_manage/upload_monitoring.html",
        form=form,
        report=report,
        columns=monitoring_entry.COLUMNS,
        measures=monitoring_entry.MEASURES,
        max_rows=current_app.config["MONITORING_CSV_MAX_ROWS"],
    ), status


@bp.get("/monitoring/template.csv")
def monitoring_template():
    """The CSV header with units and an example row (UTF-8 with BOM, for Excel)."""
    body = "\ufeff" + monitoring_entry.template_csv()
    response = current_app.response_class(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="monitoring-template.csv"'
    return response
