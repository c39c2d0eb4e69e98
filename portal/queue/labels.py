"""Translated labels of queue actions (button texts)."""

from flask_babel import lazy_gettext as _l

from ..agencies.forms import ROLE_LABELS

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


def register(app) -> None:
    """Add these tables to the templates' `labels`."""
    app.jinja_env.globals.setdefault("labels", {}).update(
        action=ACTION, role={role.value: label for role, label in ROLE_LABELS.items()}
    )
