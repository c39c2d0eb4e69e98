"""Translated labels of queue actions (button texts)."""

from flask_babel import lazy_gettext as _l

ACTION = {
    "accept": _l("Accept"),
    "reject": _l("Reject"),
    "transfer": _l("Transfer"),
    "start": _l("Start handling"),
    "ask_reporter": _l("Ask the reporter"),
    "reporter_replied": _l("Reporter replied"),
    "resolve": _l("Resolve with public reply"),
    "close": _l("Close"),
    "dispute": _l("Dispute"),
    "reopen": _l("Reopen"),
    "merge": _l("Merge as duplicate"),
}

ROLE = {
    "staff": _l("Department staff"),
    "head": _l("Department head"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
}


def register(app) -> None:
    """Add these tables to the templates' `labels`."""
    app.jinja_env.globals.setdefault("labels", {}).update(action=ACTION, role=ROLE)
