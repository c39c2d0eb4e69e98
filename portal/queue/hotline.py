"""The 12345 hand-off: a case marked as transferred from a 12345 work order, and its reply
as plain text the 12345 operator pastes back into the hotline's system."""

from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..agencies.models import StaffMember
from ..complaints.events import append_event
from ..complaints.models import ActorKind, Channel, Complaint, EventKind
from ..core.errors import UserError
from ..urls import public_url
from .access import handles

# Events whose words answer the reporter: the last one is the reply 12345 passes on.
REPLY_KINDS = frozenset({EventKind.resolve.value, EventKind.reply.value, EventKind.reject.value})


def link_order(actor: StaffMember, complaint: Complaint, order_no: str, now: datetime) -> None:
    """Record that the case came from a 12345 work order (its channel becomes 12345).

    Raises:
        UserError: not the handling side, or the case already carries this number.
    """
    if not handles(actor, complaint):
        raise UserError(_("This action is not available for this case."))
    order_no = order_no.strip()
    if order_no == complaint.hotline_order_no:
        raise UserError(_("The case already carries this work order number."), "order_no")
    complaint.hotline_order_no = order_no
    complaint.channel = Channel.hotline_12345.value
    append_event(
        complaint,
        EventKind.hotline_order,
        now,
        actor_kind=ActorKind.staff,
        actor_id=actor.id,
        message=order_no,
        public=False,
    )


def reply_text(complaint: Complaint, departments: dict) -> str:
    """The case's reply for the 12345 system, in Chinese (the hotline's language)."""
    public = [e for e in complaint.events if e.public]
    reply = next((e for e in reversed(public) if e.kind in REPLY_KINDS and e.message), None)
    with force_locale("zh"):
        return render_template(
            "queue/hotline_reply.txt",
            complaint=complaint,
            reply=reply,
            events=public,
            department=departments.get(complaint.department_id),
            public_link=public_url("complaints.show_public", tracking_no=complaint.tracking_no),
        )
