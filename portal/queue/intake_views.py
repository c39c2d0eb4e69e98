"""Staff intake (/queue/intake): a report received by phone (12369), from the 12345
hotline, by letter, in person or by WeChat, entered by staff. It goes through
complaints.intake like the web form — routing, deadlines from its received-at, the
reporter's acknowledgement, the audit trail — there is no second way in.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..agencies.auth import no_store, staff_required
from ..complaints import intake
from ..core.clock import LOCAL_TZ, utcnow
from ..core.errors import UserError
from ..formflow import show_error
from ..i18n import localname
from . import access
from .intake_forms import StaffIntakeForm

bp = Blueprint("queue_intake", __name__, url_prefix="/queue/intake")
bp.before_request(staff_required)
# Reporter identities typed here must not linger in caches or referrers.
bp.after_request(no_store)


def _form() -> StaffIntakeForm:
    form = StaffIntakeForm()
    form.category.choices = [("", _("Choose…"))] + [
        (c.code, localname(c)) for c in intake.active_categories()
    ]
    return form


def _render(form: StaffIntakeForm, status: int = 200):
    return render_template("queue/intake.html", form=form), status


@bp.route("/", methods=["GET", "POST"])
def enter_report():
    """The intake form; a valid report is filed and its case opened."""
    form = _form()
    now = utcnow()
    if request.method == "GET":
        if not form.received_at.data:
            form.received_at.data = now.astimezone(LOCAL_TZ).replace(
                second=0, microsecond=0, tzinfo=None
            )
        return _render(form)
    if not form.validate():
        return _render(form, 400)
    try:
        receipt = intake.submit(
            form.to_input(entered_by=current_user.id, locale=str(get_locale() or "zh")[:2]),
            request.files.getlist(form.photos.name),
            now,
        )
    except UserError as error:
        show_error(form, error, "description")
        return _render(form, 400)
    if not intake.commit(receipt):
        form.description.errors = [_("The report could not be saved; nothing was stored.")]
        return _render(form, 503)
    complaint = receipt.complaint
    if access.case_for(current_user, complaint.id) is not None:
        flash(_("Report %(number)s entered.", number=complaint.tracking_no), "success")
        return redirect(url_for("queue.show_case", complaint_id=complaint.id), 303)
    # Routed to another department: this desk may not open it, but can say where it went.
    flash(
        _(
            "Report %(number)s entered and sent to %(department)s.",
            number=complaint.tracking_no,
            department=localname(complaint.department) if complaint.department else _("triage"),
        ),
        "success",
    )
    return redirect(url_for("queue_intake.enter_report"), 303)
