"""Translated labels for complaint codes; templates reach them as `labels.*`."""

import re

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

COMPLAINT_STATUS = {
    "submitted": _l("Received"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
    "transferred": _l("Transferred"),
    "in_progress": _l("Being handled"),
    "awaiting_reporter": _l("Waiting for your information"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "merged": _l("Merged with another report"),
}

EVENT_KIND = {
    "submitted": _l("Report received"),
    "supported": _l("Another citizen is affected too"),
    "reporter_info": _l("Information added by the reporter"),
    "rated": _l("The reporter rated the outcome"),
    "disputed": _l("The reporter disputed the outcome; the case reopened"),
    "routed": _l("Assigned to a department"),
    "triage": _l("Waiting for the coordinator to assign it"),
    "accept": _l("Accepted"),
    "reject": _l("Rejected"),
    "transfer": _l("Transferred to another department"),
    "start": _l("Handling started"),
    "ask_reporter": _l("More information asked from the reporter"),
    "resolve": _l("Resolved"),
    "close": _l("Closed"),
    "auto_closed": _l("Closed (not rated within 7 days)"),
    "reopen": _l("Reopened by the coordinator"),
    "merge": _l("Merged into another report"),
    "merged_in": _l("Another report was merged into this one"),
    "reply": _l("Reply"),
    "note": _l("Internal note"),
    "assist_note": _l("Note from an assisting department"),
    "identity_viewed": _l("Reporter identity viewed"),
    "hotline_order": _l("Linked to a 12345 work order"),
    "extension_requested": _l("Extension requested"),
    "extension_approved": _l("Deadline extended"),
    "extension_refused": _l("Extension refused"),
    "warned": _l("Deadline warning sent"),
    "escalated": _l("Overdue: escalated to the department head and coordinator"),
}

CHANNEL = {
    "web": _l("Online form"),
    "phone_12369": _l("Phone (12369 hotline)"),
    "hotline_12345": _l("Transferred from the 12345 hotline"),
    "letter": _l("Letter"),
    "in_person": _l("In person"),
    "wechat": _l("WeChat message"),
    "open311": _l("Open311 app"),
}

LOCATION_SOURCE = {
    "pin": _l("placed on the map"),
    "device": _l("from the phone's location"),
    "photo": _l("from the photo's GPS"),
    "outfall": _l("at the outfall"),
}


# How a transfer's event begins: "→ <new department>" on its own line, then the reason.
TRANSFER_MARK = "→ "

# "10: reason", the message an extension request has always been recorded with.
_REQUESTED = re.compile(r"^(\d{1,3}): (.*)$", re.DOTALL)


def event_line(event, complaint=None) -> tuple[str, str]:
    """(what happened, the words that go with it) for one history entry.

    The kind's label says what happened (an accepted case needs no "→ accepted" after
    "accepted"); an extension says by how many days, with its reason.
    """
    message = event.message or ""
    if event.kind == "extension_requested" and (m := _REQUESTED.match(message)):
        return _("Asked for %(days)s more days: %(reason)s", days=m[1], reason=m[2]), ""
    if event.kind == "transfer" and message.startswith(TRANSFER_MARK) and "\n" in message:
        department, reason = message[len(TRANSFER_MARK) :].split("\n", 1)
        return _("Transferred to %(department)s", department=department), reason
    if event.kind == "extension_approved" and complaint is not None and complaint.extension_days:
        return (
            _(
                "Extended by %(days)s days: %(reason)s",
                days=complaint.extension_days,
                reason=message,
            ),
            "",
        )
    return str(EVENT_KIND.get(event.kind, event.kind)), message


def format_distance(metres: float) -> str:
    """ "850 m", "12.3 km": a distance as a person reads it, in the current language."""
    if metres < 1000:
        return _("%(m)s m", m=format_decimal(round(metres, -1)))
    return _("%(km)s km", km=format_decimal(round(metres / 1000, 1)))


def register(app) -> None:
    """Add these tables to the templates' `labels`, and `format_distance`."""
    app.add_template_global(format_distance)
    app.jinja_env.globals.setdefault("labels", {}).update(
        complaint_status=COMPLAINT_STATUS,
        event_kind=EVENT_KIND,
        location_source=LOCATION_SOURCE,
        channel=CHANNEL,
    )
    app.jinja_env.globals["event_line"] = event_line
