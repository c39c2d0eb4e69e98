"""Translated labels of queue actions (button texts)."""

from flask_babel import lazy_gettext as _l

from ..agencies.forms import ROLE_LABELS
from .calendar import deadline_state

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


# The flash after an action, naming the case and what was done.
DONE = {
    "accept": _l("Case %(number)s accepted."),
    "reject": _l("Case %(number)s rejected; the reporter is told why."),
    "transfer": _l("Case %(number)s transferred to another department."),
    "start": _l("Handling of case %(number)s started."),
    "ask_reporter": _l("The reporter of case %(number)s was asked for information."),
    "resolve": _l("Case %(number)s resolved; the reply was sent to the reporter."),
    "close": _l("Case %(number)s closed."),
    "reopen": _l("Case %(number)s reopened."),
    "merge": _l("Case %(number)s merged as a duplicate."),
    "reporter_replied": _l("Case %(number)s continues."),
    "dispute": _l("Case %(number)s reopened."),
}


def register(app) -> None:
    """Add these tables to the templates' `labels`."""
    app.jinja_env.globals.setdefault("labels", {}).update(
        action=ACTION, role={role.value: label for role, label in ROLE_LABELS.items()}
    )
    app.jinja_env.globals["deadline_state"] = deadline_state
