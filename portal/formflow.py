"""The shapes every "submit a form to a service" view shares."""

from collections.abc import Callable

from .core.errors import UserError
from .extensions import db


def show_error(form, error: UserError, default_field: str | None = None) -> None:
    """Put a service's refusal next to its field (or `default_field`, else the form)."""
    name = error.field if error.field and error.field in form else default_field
    if name and name in form:
        field = form[name]
        field.errors = [*(field.errors or []), error.message]
    else:
        form.form_errors.append(error.message)


def run_form(
    form,
    action: Callable[[], object],
    error_type: type[Exception] = UserError,
    field: str | None = None,
) -> bool:
    """Validate `form`, then run `action`; a `UserError` lands on its field (or `field`).

    On success the caller commits; on failure the session is rolled back (nothing half
    done stays) and the caller re-renders the form with its errors.
    """
    if form.validate():
        try:
            action()
        except error_type as error:
            if isinstance(error, UserError):
                show_error(form, error, field)
            else:
                getattr(form, field).errors = [getattr(error, "message", str(error))]
    if form.errors:
        db.session.rollback()
        return False
    return True
