"""Forms of the coordinator's admin pages: routing rules, holidays, templates, service levels."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..forms import FilterForm, PostForm
from ..i18n import localname
from ..outfalls.labels import CATEGORY_L1, CATEGORY_L2


def _strip(value):
    return value.strip() if isinstance(value, str) else value


REGION_CODE = Regexp(r"^\d{6,12}$", message=_l("Not a region code."))


def category_choices(categories, any_label) -> list[tuple[str, str]]:
    """("", any) then each category as "name (code)"; codes are what rules store."""
    return [SelectChoice("", any_label)] + [
        SelectChoice(c.code, f"{localname(c)} ({c.code})") for c in categories
    ]


def outfall_type_choices(any_label) -> list[tuple[str, str]]:
    """("", any) then the five first-level outfall types (GY, SH, NY, YH, QT)."""
    return [SelectChoice("", any_label)] + [
        SelectChoice(code, f"{label} ({code})") for code, label in CATEGORY_L1.items()
    ]


def outfall_subtype_choices(any_label) -> list[tuple[str, str]]:
    """("", any) then every level-2 type (Atushi divides work by them)."""
    return [SelectChoice("", any_label)] + [
        SelectChoice(code, str(label)) for code, label in CATEGORY_L2.items()
    ]


class RuleForm(PostForm):
    """A routing rule; empty category, outfall type or region means any."""

    category = SelectField(_l("Complaint category"), choices=[], default="")
    outfall_type = SelectField(_l("Outfall type"), choices=[], default="")
    outfall_subtype = SelectField(_l("Level-2 type"), choices=[], default="")
    region_code = StringField(
        _l("Region code"), filters=[_strip], validators=[Optional(), REGION_CODE]
    )
    lead_department = SelectField(
        _l("Lead department"),
        coerce=int,
        choices=[],
        validators=[InputRequired(message=_l("Choose the lead department."))],
    )
    assisting = SelectMultipleField(_l("Assisting departments"), coerce=int, choices=[])
    note = StringField(_l("Note"), filters=[_strip], validators=[Length(max=200)])

    def set_choices(self, categories, departments) -> None:
        """Fill the selects from the database (labels are localised names)."""
        self.category.choices = category_choices(categories, _l("Any category"))
        self.outfall_type.choices = outfall_type_choices(_l("Any outfall type"))
        self.outfall_subtype.choices = outfall_subtype_choices(_l("Any level-2 type"))
        self.lead_department.choices = [SelectChoice(d.id, localname(d)) for d in departments]
        self.assisting.choices = [SelectChoice(d.id, localname(d)) for d in departments]


class RouteTestForm(FilterForm):
    """Which rule would place a report (query string, no CSRF: it changes nothing)."""

    category = SelectField(_l("Complaint category"), choices=[], validate_choice=True)
    outfall_type = SelectField(_l("Outfall type"), choices=[], default="")
    region_code = StringField(
        _l("Region code"), filters=[_strip], validators=[Optional(), REGION_CODE]
    )

    def set_choices(self, categories) -> None:
        self.category.choices = category_choices(categories, "")[1:]
        self.outfall_type.choices = outfall_type_choices(_l("None (no outfall)"))


class CalendarDayForm(PostForm):
    """Declare a day a holiday or a (make-up) working day."""

    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Give the date."))])
    kind = SelectField(
        _l("The day is"),
        choices=[
            SelectChoice("holiday", _l("A holiday (no work)")),
            SelectChoice("workday", _l("A working day")),
        ],
        default="holiday",
    )
    note = StringField(_l("Note"), filters=[_strip], validators=[Length(max=120)])

    def validate_day(self, field) -> None:
        if field.data is not None and not 2000 <= field.data.year <= 2100:
            raise ValidationError(_l("Give a date between 2000 and 2100."))


class CalendarYearForm(PostForm):
    """Mark a year whose holidays have all been entered."""

    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(message=_l("Give the year.")),
            NumberRange(2000, 2100, message=_l("Give a year between 2000 and 2100.")),
        ],
    )


class ConfirmForm(PostForm):
    """A bare POST (delete buttons): only the CSRF token."""


class TemplateForm(PostForm):
    """A reply template for one category or for all."""

    category = SelectField(_l("Complaint category"), choices=[], default="")
    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Give a title.")), Length(max=120)],
    )
    body = TextAreaField(
        _l("Text"),
        validators=[DataRequired(message=_l("Write the text.")), Length(max=4000)],
    )

    def set_choices(self, categories) -> None:
        self.category.choices = category_choices(categories, _l("All categories"))


class CategoryRowForm(FilterForm):
    """One category's service levels (a row of the table; the parent form holds the CSRF)."""

    code = HiddenField()
    urgent = BooleanField(_l("Urgent"))
    accept_workdays = IntegerField(
        _l("Working days to accept"),
        validators=[
            InputRequired(message=_l("Give a number.")),
            NumberRange(1, 10, message=_l("From 1 to 10 working days.")),
        ],
    )
    complete_workdays = IntegerField(
        _l("Working days to complete"),
        validators=[
            InputRequired(message=_l("Give a number.")),
            NumberRange(1, 60, message=_l("From 1 to 60 working days.")),
        ],
    )
    active = BooleanField(_l("Active"))

    def validate_complete_workdays(self, field) -> None:
        accept = self.accept_workdays.data
        if field.data is not None and accept is not None and field.data < accept:
            raise ValidationError(_l("Completing cannot take fewer days than accepting."))


class CategoriesForm(PostForm):
    """The service levels of every category at once."""

    rows = FieldList(FormField(CategoryRowForm))
