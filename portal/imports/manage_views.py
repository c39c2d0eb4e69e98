"""/manage/import: upload an inventory, see the dry run, apply it; export and template.

Data officer and coordinator only (deny by default); pages are never cached.
"""

import io
import tempfile

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from ..agencies.auth import no_store, roles_guard
from ..core import xlsx
from ..extensions import db
from ..forms import PostForm
from ..i18n import get_locale
from ..outfalls.access import REGISTRY_ROLES
from ..outfalls.forms import OutfallFilterForm
from . import export, jobs
from .models import ImportJob
from .normalise import CRS_NAMES
from .report import STATUS

# What the officer sees for each of the import's coordinate systems (the values are the CLI's).
CRS_LABELS = {
    "wgs84": _l("WGS 84 (GPS, most survey devices)"),
    "cgcs2000": _l("CGCS2000 (the national geodetic system; as WGS 84 at this scale)"),
    "gcj02": _l("GCJ-02 (Amap, Tencent and Apple maps in China)"),
    "bd09": _l("BD-09 (Baidu Maps)"),
}

bp = Blueprint("imports_manage", __name__, url_prefix="/manage/import")
bp.before_request(roles_guard(*REGISTRY_ROLES))
bp.after_request(no_store)


class ImportUploadForm(PostForm):
    file = FileField(_l("Inventory file (.xlsx, .xls, .ods, .csv)"), validators=[FileRequired()])
    crs = SelectField(
        _l("Coordinate system when the sheet names none"),
        choices=[SelectChoice(name, CRS_LABELS[name]) for name in CRS_NAMES],
    )
    create_waters = BooleanField(_l("Create receiving waters not yet in the registry"))


class ImportApplyForm(PostForm):
    pass


def _job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.staff_id != current_user.id:
        abort(404)
    return job


@bp.route("/", methods=["GET", "POST"])
def upload():
    """The upload form; a valid upload starts a dry run and shows its page."""
    form = ImportUploadForm()
    if form.validate_on_submit():
        name = form.file.data.filename or "upload"
        job = ImportJob(
            staff_id=current_user.id,
            filename=name[-200:],
            stored_name=jobs.save_upload(form.file.data, name),
            crs=form.crs.data,
            create_waters=form.create_waters.data,
            locale=get_locale(),
        )
        db.session.add(job)
        db.session.commit()
        jobs.start(current_app._get_current_object(), job.id)
        return redirect(url_for(".show_job", job_id=job.id), 303)
    recent = db.session.scalars(
        db.select(ImportJob)
        .where(ImportJob.staff_id == current_user.id)
        .order_by(ImportJob.id.desc())
        .limit(10)
    ).all()
    return render_template("imports_manage/upload.html", form=form, recent=recent)


# Rows of a report listed on the page (the downloadable sheet has every row).
REPORT_ROWS = 2000
# Listed first: what the officer must fix, then what the file changes.
_REPORT_ORDER = {"refused": 0, "created": 1, "updated": 1, "unchanged": 2}


def report_rows(results: list | None) -> tuple[list, int]:
    """The rows the page lists, refused and changed ones first (in sheet order within each),
    and how many it leaves out."""
    results = results or []
    ordered = sorted(results, key=lambda r: (_REPORT_ORDER.get(r[1], 3), r[0]))
    return ordered[:REPORT_ROWS], max(len(results) - REPORT_ROWS, 0)


@bp.get("/jobs/<int:job_id>")
def show_job(job_id: int):
    """A job's progress (polled by static/js/import.js) and, once done, its report."""
    job = _job(job_id)
    rows, left_out = report_rows(job.results)
    return render_template(
        "imports_manage/job.html",
        job=job,
        form=ImportApplyForm(),
        interrupted=jobs.interrupted(job),
        resumable=jobs.resumable(job),
        status_labels=STATUS,
        rows=rows,
        left_out=left_out,
    )


@bp.get("/jobs/<int:job_id>/status.json")
def job_status(job_id: int):
    job = _job(job_id)
    return jsonify(
        state="interrupted" if jobs.interrupted(job) else job.state,
        processed=job.processed,
        total=job.total,
    )


@bp.post("/jobs/<int:job_id>/apply")
def apply_job(job_id: int):
    """Apply the file of a finished dry run: a new job on the same upload."""
    dry = _job(job_id)
    form = ImportApplyForm()
    if not form.validate_on_submit() or dry.state != "done" or dry.apply:
        abort(400)
    job = ImportJob(
        staff_id=current_user.id,
        filename=dry.filename,
        stored_name=dry.stored_name,
        apply=True,
        crs=dry.crs,
        create_waters=dry.create_waters,
        locale=get_locale(),
    )
    db.session.add(job)
    db.session.commit()
    jobs.start(current_app._get_current_object(), job.id)
    return redirect(url_for(".show_job", job_id=job.id), 303)


@bp.post("/jobs/<int:job_id>/resume")
def resume_job(job_id: int):
    """Run a stopped apply job again: it resumes where its last committed batch ended."""
    job = _job(job_id)
    form = ImportApplyForm()
    if not form.validate_on_submit() or not jobs.resumable(job):
        abort(400)
    job.state, job.heartbeat_at = "queued", None
    db.session.commit()
    jobs.start(current_app._get_current_object(), job.id)
    return redirect(url_for(".show_job", job_id=job.id), 303)


@bp.get("/jobs/<int:job_id>/report.xlsx")
def job_report(job_id: int):
    """The uploaded sheet with status and message columns, to fix in Excel."""
    from openpyxl import Workbook

    from . import readers

    job = _job(job_id)
    if job.state != "done":
        abort(404)
    by_row = {row: (status, text) for row, status, text in job.results}
    config = current_app.config
    upload = jobs.upload_dir() / job.stored_name
    if not upload.is_file():
        abort(404)  # the upload was cleaned up: the report on the page is all that is left
    sheet = readers.open_sheet(
        upload,
        job.filename,
        max_bytes=config["IMPORT_MAX_BYTES"],
        max_rows=config["IMPORT_MAX_ROWS"],
    )
    book = Workbook(write_only=True)
    ws = book.create_sheet("report")
    first = min(by_row, default=1)
    for number, row in enumerate(sheet.rows, 1):
        row = list(row)
        if number == first - 1:
            row += [str(_l("Status")), str(_l("Message"))]
        elif number in by_row:
            status, text = by_row[number]
            row += [str(STATUS[status]), text]
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(out, download_name=f"report-{job.filename}.xlsx", as_attachment=True)


def _download(chunks, mimetype: str, filename: str) -> Response:
    """A generated file streamed as it is written (memory stays flat at 100k rows)."""
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/export.csv")
def export_csv():
    """The registry (filtered as the list) in the import template, CSV UTF-8 with BOM."""
    form = OutfallFilterForm(request.args)
    filters = form.filters() if form.validate() else abort(400)
    return _download(export.csv_chunks(filters), "text/csv; charset=utf-8", "outfalls.csv")


@bp.get("/export.xlsx")
def export_xlsx():
    """The same as .xlsx."""
    form = OutfallFilterForm(request.args)
    filters = form.filters() if form.validate() else abort(400)
    return _download(export.xlsx_chunks(filters), xlsx.MIMETYPE, "outfalls.xlsx")


@bp.get("/template.xlsx")
def template():
    """The empty import template with its column guide."""
    return _download(export.xlsx_chunks(None), xlsx.MIMETYPE, "outfall-inventory-template.xlsx")


@bp.get("/signboards.<any(pdf, zip):fmt>")
def signboards_batch(fmt: str):
    """Signboards of the filtered outfalls (?not_installed=1: only those without one)."""
    from . import signboards

    form = OutfallFilterForm(request.args)
    filters = form.filters() if form.validate() else abort(400)
    not_installed = request.args.get("not_installed") == "1"
    # A temporary file, not memory: 1,000 signboards stream to disk page by page, then
    # out to the client (send_file closes it, which deletes it).
    out = tempfile.TemporaryFile()
    try:
        if fmt == "pdf":
            signboards.write_pdf(filters, not_installed, out)
        else:
            signboards.write_svg_zip(filters, not_installed, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return send_file(out, download_name=f"signboards.{fmt}", as_attachment=True)
