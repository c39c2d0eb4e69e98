"""Staff forms: sign-in, second factor, own password, account administration."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from ..forms import PostForm
from ..i18n import localname
from .models import Role
from .services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

ROLE_LABELS = {
    Role.staff: _l("Department staff"),
    Role.head: _l("Department head"),
    Role.coordinator: _l("Coordinator (Ecology and Environment Bureau)"),
    Role.data_officer: _l("Data officer (keeps the registry)"),
    Role.admin: _l("Administrator"),
}

# The department select's value for "none" (administrators only).
NO_DEPARTMENT = 0

_NEW_PASSWORD = [
    Length(
        min=MIN_PASSWORD_LENGTH,
        max=MAX_PASSWORD_LENGTH,
        message=_l("Use %(min)d to %(max)d characters for the password."),
    )
]
_SAME_PASSWORD = EqualTo("password", message=_l("The two passwords differ."))


class StaffLoginForm(PostForm):
    """Username and password, the first step of signing in."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Enter your username.")), Length(max=40)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Enter your password.")),
            Length(max=MAX_PASSWORD_LENGTH),
        ],
    )


class TotpVerifyForm(PostForm):
    """The six-digit code from the authenticator app."""

    code = StringField(
        _l("Six-digit code"),
        filters=[lambda v: "".join(v.split()) if v else v],
        validators=[
            DataRequired(message=_l("Enter the code shown in your authenticator app.")),
            Regexp(r"^\d{6}$", message=_l("The code has six digits.")),
        ],
    )


class PasswordChangeForm(PostForm):
    """Change one's own password."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Enter a new password.")), *_NEW_PASSWORD],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("new_password", message=_l("The two passwords differ."))],
    )


def _role_choices():
    return [(role.value, label) for role, label in ROLE_LABELS.items()]


class _StaffFields(PostForm):
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=80)])
    email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
            Length(max=120),
        ],
    )
    role = SelectField(_l("Role"), choices=_role_choices, default=Role.staff.value)
    department = SelectField(_l("Department"), coerce=int, choices=[])

    def set_departments(self, departments) -> None:
        """Fill the department choices (labels are localised names)."""
        self.department.choices = [(NO_DEPARTMENT, _l("None (administrators only)"))] + [
            (d.id, localname(d)) for d in departments
        ]

    @property
    def department_id(self) -> int | None:
        return self.department.data or None


class StaffCreateForm(_StaffFields):
    """A new staff account (administrators)."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Choose a username.")), Length(max=40)],
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(message=_l("Choose an initial password.")), *_NEW_PASSWORD],
    )
    confirm = PasswordField(_l("Initial password again"), validators=[_SAME_PASSWORD])


class StaffEditForm(_StaffFields):
    """Change an account (administrators); an empty password leaves it unchanged."""

    active = BooleanField(_l("Account active"))
    password = PasswordField(
        _l("New password (leave empty to keep)"), validators=[Optional(), *_NEW_PASSWORD]
    )
    confirm = PasswordField(_l("New password again"), validators=[_SAME_PASSWORD])
    reset_totp = BooleanField(_l("Reset two-step verification (the person enrols again)"))
