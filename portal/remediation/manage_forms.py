"""Input shapes of the remediation staff pages (/manage/…): the plan, a milestone done, a
sign-off step, a target. The rules are in plans.py and services.py; these only parse."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..forms import PostForm
from ..outfalls.labels import REMEDIATION_CATEGORY
from ..outfalls.models import RemediationCategory

REASON = _l("Reason (published)")


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class PlanForm(PostForm):
    """一口一策: what is done, by when, by whom."""

    category = SelectField(
        _l("Category"),
        choices=[SelectChoice(c.value, REMEDIATION_CATEGORY[c.value]) for c in RemediationCategory],
        validators=[InputRequired()],
    )
    measures = TextAreaField(_l("Measures"), validators=[Optional(), Length(max=4000)])
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    milestones = TextAreaField(
        _l("Open milestones (one a line: YYYY-MM-DD, then what)"),
        validators=[Optional(), Length(max=12000)],
    )
    transition_until = DateField(_l("Transition period until"), validators=[Optional()])
    transition_reason = TextAreaField(
        _l("Reason for the transition period"), validators=[Optional(), Length(max=2000)]
    )
    merge_target = StringField(
        _l("Merge into (code of an outfall in service)"), validators=[Optional(), Length(max=40)]
    )
    responsible_department_id = SelectField(
        _l("Department carrying the plan out"), coerce=_int_or_none, choices=[]
    )
    reason = TextAreaField(REASON, validators=[Optional(), Length(max=1000)])


class MilestoneDoneForm(PostForm):
    """A milestone done: when, a note, and its evidence."""

    done_on = DateField(_l("Done on"), validators=[InputRequired(message=_l("Give the date."))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    files = MultipleFileField(_l("Evidence (PDF or photos)"))


class StepForm(PostForm):
    """One sign-off step: its date, and what that step needs (documents, number, reason)."""

    occurred_on = DateField(_l("Date"), validators=[InputRequired(message=_l("Give the date."))])
    document_number = StringField(
        _l("Confirmation document number"), validators=[Optional(), Length(max=80)]
    )
    document_date = DateField(_l("Confirmation document date"), validators=[Optional()])
    files = MultipleFileField(_l("Documents (PDF or photos)"))
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class TargetForm(PostForm):
    """A yearly target: by a date, a share signed off, per a source document."""

    due_on = DateField(_l("Due on"), validators=[InputRequired(message=_l("Give the date."))])
    percent = IntegerField(
        _l("Share signed off (per cent)"), validators=[InputRequired(message=_l("Give the share."))]
    )
    region_id = SelectField(_l("Region"), coerce=_int_or_none, choices=[])
    source = StringField(_l("Source document"), validators=[Optional(), Length(max=300)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
