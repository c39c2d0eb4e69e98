"""Queue forms: filters (GET) and actions (POST, with CSRF)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..complaints.labels import COMPLAINT_STATUS
from ..forms import FilterForm, PostForm
from .states import Action


class QueueFilterForm(FilterForm):
    """Queue filters from the query string; every value is checked."""

    state = SelectField(
        _l("State"),
        choices=[SelectChoice("", _l("All open"))]
        + [SelectChoice(k, v) for k, v in COMPLAINT_STATUS.items()],
        default="",
    )
    overdue = BooleanField(_l("Overdue"))
    due_soon = BooleanField(_l("Due within 2 days"))
    escalated = BooleanField(_l("Escalated"))
    category = StringField(
        _l("Problem type"),
        validators=[Optional(), Regexp(r"^[a-z_]{1,32}$", message=_l("Unknown."))],
    )
    outfall = StringField(_l("Outfall code"), validators=[Optional(), Length(max=40)])
    region = StringField(
        _l("Region"),
        validators=[Optional(), Regexp(r"^\d{6,12}$", message=_l("Not a region code."))],
    )
    department = IntegerField(_l("Department"), validators=[Optional(), NumberRange(min=1)])
    triage = BooleanField(_l("Triage"))
    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice("due", _l("Deadline")),
            SelectChoice("received", _l("Received")),
            SelectChoice("case", _l("Case")),
        ],
        default="due",
    )
    desc = BooleanField(_l("Newest or latest first"))
    after = StringField(validators=[Optional(), Length(max=80)])


class ActionForm(PostForm):
    """One workflow action with its message, target department or merge target."""

    action = HiddenField(validators=[DataRequired()])
    message = TextAreaField(_l("Message"), validators=[Optional(), Length(max=4000)])
    department_id = SelectField(_l("Transfer to"), coerce=int, choices=[], validate_choice=False)
    merge_into = StringField(_l("Merge into case (tracking number)"), validators=[Length(max=20)])

    def parsed_action(self) -> Action | None:
        try:
            return Action(self.action.data)
        except ValueError:
            return None


class RevealForm(PostForm):
    """Show the reporter's identity (a button; the reveal is recorded)."""


class NoteForm(PostForm):
    """An internal note or a public reply."""

    text = TextAreaField(
        _l("Note"),
        validators=[DataRequired(message=_l("Write the note.")), Length(max=4000)],
    )
    public = BooleanField(_l("Public reply to the reporter"))


class ExtensionForm(PostForm):
    """Ask for more time."""

    days = IntegerField(
        _l("Extra days"),
        validators=[DataRequired(), NumberRange(1, 30, message=_l("Ask for 1 to 30 days."))],
    )
    reason = TextAreaField(
        _l("Reason (shown to the reporter)"),
        validators=[DataRequired(message=_l("Give a reason.")), Length(max=1000)],
    )


class DecisionForm(PostForm):
    """Approve or refuse an extension."""

    approve = HiddenField(validators=[DataRequired()])
