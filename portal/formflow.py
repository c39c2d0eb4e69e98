"""The shape every "submit a form to a service" view shares."""

from collections.abc import Callable

from .extensions import db


def run_form(form, action: Callable[[], object], error_type: type[Exception], field: str) -> bool:
    """Validate `form`, then run `action`; a service error lands on `field`.

    On success the caller commits; on failure the session is rolled back (nothing half
    done stays) and the caller re-renders the form with its errors.
    """
    if form.validate():
        try:
            action()
        except error_type as error:
            getattr(form, field).errors = [getattr(error, "message", str(error))]
    if form.errors:
        db.session.rollback()
        return False
    return True
