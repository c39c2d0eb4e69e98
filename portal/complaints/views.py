"""Citizen complaint pages: report, track privately, look up, public summaries."""

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from ..core.clock import utcnow
from ..core.errors import UserError
from ..core.geo import parse_point
from ..core.storage import FileStore
from ..extensions import db, limiter
from ..formflow import done, run_form, show_error
from ..i18n import localname
from ..security import allow, permissions_policy
from ..urls import public_url
from . import intake, public, staging, tracking
from .forms import (
    AddInfoForm,
    ComplaintForm,
    DisputeForm,
    LookupForm,
    RatingForm,
    SupportForm,
    UploadForm,
)
from .models import Complaint, ComplaintPhoto
from .tokens import FORM_KEY_BYTES, form_key_valid, make_form_key
from .uploads import commit_then_publish, configured_limits, configured_stores, read_photos

bp = Blueprint("complaints", __name__, url_prefix="/complaints")

SUPPORT_SESSION_KEY = "supporter"


def _limit(setting: str):
    return limiter.limit(lambda: current_app.config[setting], methods=["POST"])


def _private(response):
    """Pages behind the private link: never cached, never leaked through the Referer."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- Reporting ---------------------------------------------------------------------------

# The session remembers, once, which report this browser has just filed: its tracking
# page shows the "report received" notice on the first view only, never on a reload.
RECEIPT_SESSION_KEY = "receipt"


def _complaint_form(**kwargs) -> ComplaintForm:
    form = ComplaintForm(**kwargs)
    form.category.choices = [(c.code, c) for c in intake.active_categories()]
    # A key this portal did not issue (tampered, or from before a key change) is replaced.
    if not form_key_valid(form.form_key.data or "", current_app.config["SECRET_KEY"]):
        form.form_key.data = make_form_key(
            secrets.token_urlsafe(FORM_KEY_BYTES), current_app.config["SECRET_KEY"]
        )
    return form


def _render_new(
    form: ComplaintForm, status: int = 200, outfall=None, nearby=None, staged=(), question=None
):
    return render_template(
        "complaints/new_complaint.html",
        form=form,
        outfall=outfall,
        nearby=nearby if nearby is not None else [],
        staged=staged,
        question=question,
    ), status


def _render_again(form: ComplaintForm, tokens, now, status: int = 400, question=None):
    """The form after a refusal: what was typed, the photos already sent, the outfall."""
    outfall = None
    if form.outfall.data and not form.outfall.errors:
        try:
            outfall = intake.find_outfall(form.outfall.data)
        except UserError:
            outfall = None
    staged = staging.for_form(form.form_key.data, tokens, now)
    return _render_new(
        form,
        status,
        outfall=outfall,
        nearby=_nearby(outfall, now) if outfall is not None and outfall.lat is not None else [],
        staged=staged,
        question=question,
    )


def _nearby(outfall, now):
    return public.nearby_open(
        outfall.lat,
        outfall.lon,
        outfall.id,
        now,
        radius_m=current_app.config["NEARBY_RADIUS_M"],
        days=current_app.config["NEARBY_DAYS"],
    )


def _filed(receipt: intake.Receipt, form: ComplaintForm):
    """After a report (or a retry of one): its tracking page, with the notice once."""
    named = form.identity.data == "named" or form.named_by_contact
    phone = (form.phone.data or "").strip() if named else ""
    session[RECEIPT_SESSION_KEY] = {
        "id": receipt.complaint.id,
        "sms": phone[-4:],
        "email": bool(named and form.email.data),
        "named_by_contact": form.named_by_contact,
    }
    return redirect(url_for("complaints.track", token=receipt.token), 303)


# The form may locate the phone and take photos; no other page may.
REPORT_FEATURES = ("geolocation", "camera")


@bp.route("/new", methods=["GET", "POST"])
@allow(*REPORT_FEATURES)
@_limit("COMPLAINT_RATE_LIMIT")
def new_complaint():
    """The report form; a QR page's link pre-fills the outfall (?outfall=<code>)."""
    form = _complaint_form()
    now = utcnow()
    if request.method == "GET":
        outfall = None
        if code := request.args.get("outfall"):
            try:
                outfall = intake.find_outfall(code)
            except UserError as error:
                form.outfall.data = code
                show_error(form, error)
                return _render_new(form, 404)
            form.outfall.data = outfall.code
        nearby = _nearby(outfall, now) if outfall and outfall.lat is not None else []
        return _render_new(form, outfall=outfall, nearby=nearby)

    # A retried POST of a form that filed its report already: the same tracking page.
    if earlier := intake.earlier_receipt(form.form_key.data):
        return _filed(earlier, form)
    valid = form.validate()
    tokens = list(form.photo_token.data or [])
    files = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
    if files:
        # Without JavaScript the photos come with the form: keep them as staged uploads
        # first, so that no refusal below asks for them again.
        try:
            rows, staged = staging.stage_uploads(
                form.form_key.data, files, None, now, configured_stores()
            )
        except UserError as error:
            show_error(form, error)
            return _render_again(form, tokens, now)
        if not commit_then_publish(staged):
            return _not_saved(form, tokens, now)
        tokens += [row.token for row in rows]
    if not valid:
        return _render_again(form, tokens, now)
    try:
        receipt = intake.submit(
            form.to_input(
                ip=request.remote_addr or "",
                locale=str(get_locale() or "zh")[:2],
                photo_tokens=tokens,
            ),
            [],
            now,
        )
    except intake.LocationQuestion as question:
        show_error(form, question)
        return _render_again(form, tokens, now, question=question)
    except UserError as error:
        show_error(form, error)
        return _render_again(form, tokens, now)
    if not intake.commit(receipt):
        return _not_saved(form, tokens, now)
    return _filed(receipt, form)


def _not_saved(form: ComplaintForm, tokens, now):
    form.description.errors = [
        _("We could not save your report; nothing was stored. Please try again.")
    ]
    return _render_again(form, tokens, now, 503)


@bp.post("/uploads")
@_limit("COMPLAINT_UPLOAD_RATE_LIMIT")
def stage_upload():
    """One photo of a report being written, sent as soon as it is picked (JSON).

    The photo goes through the same checks as any other; the answer is its token (which
    the form's submit carries instead of the bytes) and where the phone says it was
    taken, so the page can ask about a far photo before the report is sent.
    """
    form = UploadForm()
    if not form.validate():
        return _json_error(next(iter(form.errors.values()))[0], 400)
    upload = request.files.get(form.photo.name)
    device = staging.DeviceMetadata.parse(
        form.captured_at.data, form.offset.data, form.lat.data, form.lon.data
    )
    try:
        if not upload or not upload.filename:
            raise UserError(_("Choose a photo."), "photos")
        rows, staged = staging.stage_uploads(
            form.form_key.data, [upload], [device], utcnow(), configured_stores()
        )
    except UserError as error:
        return _json_error(error.message, 400)
    if not commit_then_publish(staged):
        return _json_error(_("We could not save this photo. Please try again."), 503)
    row = rows[0]
    point = row.where_taken
    response = jsonify(
        token=row.token,
        thumb=url_for("complaints.staged_thumb", form_key=row.form_key, token=row.token),
        point=list(point) if point else None,
        width=row.width,
        height=row.height,
    )
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_error(message, status: int):
    response = jsonify(error=str(message), field="photos")
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/uploads/<form_key>/<token>.jpg")
def staged_thumb(form_key: str, token: str):
    """The thumbnail of a staged photo, for its own form only (never public)."""
    row = staging.find(form_key, token, utcnow())
    if row is None:
        abort(404)
    path = FileStore(current_app.config["UPLOAD_DIR"]).resolve(row.thumb_sha256)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", etag=row.thumb_sha256, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.errorhandler(CSRFError)
def _stale_upload(error):
    """A photo upload whose page is too old for its CSRF token: say so in JSON."""
    if request.endpoint != "complaints.stage_upload":
        return error
    return _json_error(
        _("This report form has expired. Reload the page and add the photo again."), 400
    )


@bp.errorhandler(RequestEntityTooLarge)
@bp.errorhandler(429)
def _refused_report(error):
    """Too many reports, or too big a request: the form again, with what can be kept."""
    if request.endpoint == "complaints.stage_upload":
        if error.code == 429:
            return _json_error(
                _("You have sent many photos in a short time. Please wait a minute."), 429
            )
        return _json_error(
            _(
                "Each photo must be at most %(mb)s MB.",
                mb=current_app.config["COMPLAINT_PHOTO_MAX_BYTES"] // (1024 * 1024),
            ),
            413,
        )
    if request.endpoint != "complaints.new_complaint" or request.method != "POST":
        return error
    # The body of a too-large request is never read: its fields cannot be kept.
    form = _complaint_form(formdata=None)
    tokens: list[str] = []
    if error.code == 429:
        # The limiter refused before the view read anything: the text is still there.
        form.process(request.form)
        form.photos.data = None
        tokens = list(form.photo_token.data or [])
        message = _(
            "You have sent several reports in a short time. Please wait a few minutes and "
            "send this one again; what you typed is kept. If it is urgent, call %(hotline)s.",
            hotline=current_app.config["HOTLINE"],
        )
    else:
        message = _(
            "The photos together are larger than the portal accepts (%(mb)s MB). Send fewer "
            "or smaller photos.",
            mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
        )
    form.photos.errors = [message]
    response = make_response(_render_again(form, tokens, utcnow(), error.code))
    response.headers["Permissions-Policy"] = permissions_policy(REPORT_FEATURES)
    if error.code == 429 and getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.get("/nearby.json")
def nearby():
    """Open complaints near a point or at an outfall, for the form's "before you report"."""
    try:
        point = parse_point(request.args.get("lat"), request.args.get("lon"))
        outfall = intake.find_outfall(request.args.get("outfall"))
    except (ValueError, UserError):
        return jsonify(error=_("Give a valid point or outfall code.")), 400
    if point is None and outfall is None:
        return jsonify(error=_("Give a valid point or outfall code.")), 400
    lat, lon = point if point else (outfall.lat, outfall.lon)
    items = public.nearby_open(
        lat,
        lon,
        outfall.id if outfall else None,
        utcnow(),
        radius_m=current_app.config["NEARBY_RADIUS_M"],
        days=current_app.config["NEARBY_DAYS"],
    )
    response = jsonify(
        complaints=[
            {
                "tracking_no": n.complaint.tracking_no,
                "category": localname(n.complaint.category),
                "status": n.complaint.status.value,
                "distance_m": round(n.distance_m) if n.distance_m is not None else None,
                "supporters": n.complaint.supporters,
                "url": url_for("complaints.show_public", tracking_no=n.complaint.tracking_no),
            }
            for n in items
        ]
    )
    response.cache_control.max_age = 30
    return response


# --- The reporter's private page ---------------------------------------------------------


def _case_or_404(token: str) -> Complaint:
    complaint = tracking.find_by_token(token)
    if complaint is None:
        abort(404)
    return complaint


def _render_track(complaint, token, *, info=None, rating=None, disputing=None, status=200):
    # The "report received" notice: for the browser that just filed it, on its first view.
    receipt = session.get(RECEIPT_SESSION_KEY)
    if receipt and receipt.get("id") == complaint.id:
        session.pop(RECEIPT_SESSION_KEY)
    else:
        receipt = None
    return _private(
        (
            render_template(
                "complaints/track.html",
                complaint=complaint,
                token=token,
                info_form=info or AddInfoForm(),
                rating_form=rating or RatingForm(),
                dispute_form=disputing or DisputeForm(),
                receipt=receipt,
                link=public_url("complaints.track", token=token),
            ),
            status,
        )
    )


@bp.get("/t/<token>")
def track(token: str):
    """The reporter's private tracking page: status, timeline, replies, follow-ups."""
    return _render_track(_case_or_404(token), token)


@bp.post("/t/<token>/info")
@_limit("COMPLAINT_RATE_LIMIT")
def add_info(token: str):
    """The reporter adds information or photos."""
    complaint = _case_or_404(token)
    form = AddInfoForm()
    if not form.validate():
        return _render_track(complaint, token, info=form, status=400)
    try:
        photos = read_photos(request.files.getlist(form.photos.name), configured_limits())
        staged = tracking.add_information(
            complaint, form.message.data, photos, utcnow(), configured_stores()
        )
    except UserError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_track(_case_or_404(token), token, info=form, status=400)
    if not commit_then_publish(staged):
        abort(503)
    flash(_("Thank you; your information was added."), "success")
    return redirect(url_for("complaints.track", token=token), 303)


@bp.post("/t/<token>/rate")
def rate(token: str):
    """The reporter rates the outcome."""
    complaint = _case_or_404(token)
    form = RatingForm()
    if not run_form(
        form,
        lambda: tracking.rate(complaint, form.rating.data, form.comment.data or "", utcnow()),
    ):
        return _render_track(_case_or_404(token), token, rating=form, status=400)
    return done(_("Thank you for rating the outcome."), url_for("complaints.track", token=token))


@bp.post("/t/<token>/dispute")
def dispute(token: str):
    """The reporter disputes the outcome, which reopens the case."""
    complaint = _case_or_404(token)
    form = DisputeForm()
    if not run_form(
        form,
        lambda: tracking.dispute(complaint, form.reason.data, utcnow()),
    ):
        return _render_track(_case_or_404(token), token, disputing=form, status=400)
    return done(_("The case was reopened."), url_for("complaints.track", token=token))


def _send_photo(photo: ComplaintPhoto, kind: str, private: bool):
    if kind not in ("photo", "thumb"):
        abort(404)
    sha = photo.public_sha256 if kind == "photo" else photo.thumb_sha256
    path = FileStore(current_app.config["UPLOAD_DIR"]).resolve(sha)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", etag=sha, max_age=3600)
    if private:
        response.headers["Cache-Control"] = "private, max-age=3600"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/t/<token>/photos/<int:photo_id>/<kind>.jpg")
def private_photo(token: str, photo_id: int, kind: str):
    """A photo of the reporter's own case (public copy, never the original)."""
    complaint = _case_or_404(token)
    photo = next((p for p in complaint.photos if p.id == photo_id), None)
    if photo is None:
        abort(404)
    return _send_photo(photo, kind, private=True)


@bp.route("/lookup", methods=["GET", "POST"])
@_limit("LOOKUP_RATE_LIMIT")
def lookup():
    """Find one's case with its tracking number and the phone or email given."""
    form = LookupForm()
    if form.validate_on_submit():
        token = tracking.lookup(
            form.tracking_no.data, form.contact.data, current_app.config["SECRET_KEY"]
        )
        if token:
            return redirect(url_for("complaints.track", token=token), 303)
        form.contact.errors = [
            _(
                "No case matches this tracking number and phone or email. Anonymous reports "
                "can only be opened with their private link."
            )
        ]
    status = 400 if form.errors else 200
    return _private((render_template("complaints/lookup.html", form=form), status))


# --- Public summaries --------------------------------------------------------------------


def _public_or_404(tracking_no: str) -> Complaint:
    complaint = tracking.find_by_number(tracking_no)
    if complaint is None:
        abort(404)
    return complaint


@bp.get("/<tracking_no>")
def show_public(tracking_no: str):
    """What anyone may see of a case: no reporter, rounded location, consented content."""
    complaint = _public_or_404(tracking_no)
    if complaint.tracking_no != tracking_no:
        return redirect(url_for("complaints.show_public", tracking_no=complaint.tracking_no), 301)
    response = make_response(
        render_template("complaints/show_public.html", complaint=complaint, form=SupportForm())
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/<tracking_no>/photos/<int:photo_id>/<kind>.jpg")
def public_photo(tracking_no: str, photo_id: int, kind: str):
    """A published photo: only when the reporter agreed to publication."""
    complaint = _public_or_404(tracking_no)
    photo = next((p for p in complaint.photos if p.id == photo_id), None)
    if photo is None or photo.event_id is not None or not complaint.consent_publish:
        abort(404)
    return _send_photo(photo, kind, private=False)


@bp.post("/<tracking_no>/support")
@_limit("SUPPORT_RATE_LIMIT")
def support(tracking_no: str):
    """ "This affects me too": count the citizen instead of filing a duplicate."""
    complaint = _public_or_404(tracking_no)
    form = SupportForm()
    if not form.validate():
        abort(400)
    # A random id in this browser's session cookie: changing the User-Agent is no new voice.
    browser_id = session.setdefault(SUPPORT_SESSION_KEY, secrets.token_hex(16))
    if public.add_support(
        complaint, browser_id, request.remote_addr or "", utcnow(), current_app.config["SECRET_KEY"]
    ):
        db.session.commit()
        flash(_("Thank you: your voice was added to this report."), "success")
    else:
        flash(_("Your voice was already counted for this report."), "info")
    return redirect(url_for("complaints.show_public", tracking_no=complaint.tracking_no), 303)
