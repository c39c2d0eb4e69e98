"""Translated labels for complaint codes; templates reach them as `labels.*`."""

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
    "reporter_info": _l("You added information"),
    "rated": _l("You rated the outcome"),
    "disputed": _l("You disputed the outcome; the case reopened"),
}

LOCATION_SOURCE = {
    "pin": _l("placed on the map"),
    "device": _l("from the phone's location"),
    "photo": _l("from the photo's GPS"),
    "outfall": _l("at the outfall"),
}


def register(app) -> None:
    """Add these tables to the templates' `labels`."""
    app.jinja_env.globals.setdefault("labels", {}).update(
        complaint_status=COMPLAINT_STATUS,
        event_kind=EVENT_KIND,
        location_source=LOCATION_SOURCE,
    )
