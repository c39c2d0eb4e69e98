"""The shapes every "submit a form to a service" view shares.

A view validates its form, calls one service, and either commits, flashes what was done and
redirects with 303 (`done`), or shows the form again with the service's `UserError` next
to its field (`show_error`); `run_form` is the first half of that.
"""

from collections.abc import Callable

from flask import flash, redirect

from .core.errors import UserError
from .extensions import db


def show_error(form, error: UserError, default_field: str | None = None) -> None:
    """Put a service's refusal next to its field (or `default_field`); else flash it."""
    name = error.field if error.field and error.field in form else default_field
    if name and name in form:
        field = form[name]
        field.errors = [*(field.errors or []), error.message]
    else:
        flash(str(error.message), "error")


def run_form(form, action: Callable[[], object], field: str | None = None) -> bool:
    """Validate `form`, then run `action`; a `UserError` lands on its field (or `field`).

    On success the caller commits (see `done`); on failure the session is rolled back
    (nothing half done stays) and the caller re-renders the form with its errors.
    """
    if form.validate():
        try:
            action()
        except UserError as error:
            show_error(form, error, field)
            db.session.rollback()
            return False
    if form.errors:
        db.session.rollback()
        return False
    return True


def done(message: str, location: str):
    """The end of a successful POST: commit the unit of work, say what happened, 303."""
    db.session.commit()
    flash(message, "success")
    return redirect(location, 303)
