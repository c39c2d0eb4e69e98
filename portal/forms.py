"""Base classes of every form: what any text, number or coordinate must satisfy.

Every field gets, before its own validators, a check that its raw value carries no control
characters (newline and tab allowed in multi-line text): PostgreSQL refuses NUL in text,
and none of them belongs in a name, a code or a description. Integers must fit the database
(the largest PostgreSQL INTEGER), floats must be finite (``nan`` passes NumberRange).
"""

import math
import unicodedata
from functools import lru_cache

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import DecimalField, FloatField, IntegerField, SelectField, TextAreaField
from wtforms.i18n import get_translations as wtforms_translations
from wtforms.validators import StopValidation, ValidationError

from .urls import DB_INT_MAX

# Newline, carriage return and tab are how multi-line text is typed.
MULTILINE_ALLOWED = frozenset("\n\r\t")


def labelled_errors(form) -> list[str]:
    """A validated form's errors, each named by its field's label ("类型: 不是有效的选择。"),
    for answers that are text or JSON rather than the form's page."""
    return [f"{form[name].label.text}: {m}" for name, errs in form.errors.items() for m in errs]


def control_characters(text: str, allowed: frozenset[str] = frozenset()) -> set[str]:
    """The control characters (Unicode category Cc) in `text`, except `allowed`."""
    return {c for c in text if c not in allowed and unicodedata.category(c) == "Cc"}


def _raw_values(field) -> list[str]:
    values = list(field.raw_data or [])
    return [v for v in values if isinstance(v, str)]


def no_control_characters(form, field) -> None:
    """Refuse control characters before any other check (or query) sees the value."""
    allowed = MULTILINE_ALLOWED if isinstance(field, TextAreaField) else frozenset()
    if any(control_characters(v, allowed) for v in _raw_values(field)):
        raise StopValidation(_l("Remove the control characters (invisible codes) from this field."))


def fits_the_database(form, field) -> None:
    """An integer too large for any database column is no id and no count of ours."""
    if isinstance(field.data, int) and not -DB_INT_MAX - 1 <= field.data <= DB_INT_MAX:
        raise ValidationError(_l("This number is too large."))


def finite(form, field) -> None:
    """inf and nan are not places, amounts or measurements."""
    if field.data is not None and not math.isfinite(float(field.data)):
        raise ValidationError(_l("Enter a number."))


class _SafeMeta:
    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        checks_after = []
        if isinstance(field, IntegerField) or (
            isinstance(field, SelectField) and getattr(field, "coerce", None) is int
        ):
            checks_after.append(fits_the_database)
        if isinstance(field, FloatField | DecimalField):
            checks_after.append(finite)
        # A new list: the class-level default must never be mutated.
        field.validators = [no_control_characters, *field.validators, *checks_after]
        return field


class PostForm(FlaskForm):
    """A form that changes something: CSRF-protected, every field checked as above."""

    class Meta(_SafeMeta, FlaskForm.Meta):
        pass


@lru_cache(maxsize=8)
def _wtforms_translations(language: str):
    return wtforms_translations([language])


class FilterForm(Form):
    """A GET form (filters, search; no CSRF token) whose built-in messages ("Not a valid
    integer value.") follow the page's language, as Flask-WTF's forms already do."""

    class Meta(_SafeMeta, Form.Meta):
        def get_translations(self, form):
            return _wtforms_translations(str(get_locale() or "zh"))
