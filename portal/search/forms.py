"""The search query string, checked before anything touches the index."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from ..forms import FilterForm
from ..outfalls.labels import CATEGORY_L1, WATER_KIND
from .planner import SearchFilters

MAX_QUERY = 100


def _choices(table: dict) -> list[SelectChoice]:
    return [SelectChoice("", _l("Any"))] + [
        SelectChoice(k, v) for k, v in table.items() if k is not None
    ]


class SearchForm(FilterForm):
    q = StringField(
        _l("Search"),
        validators=[
            Optional(),
            Length(
                max=MAX_QUERY, message=_l("The search is too long (at most %(max)d characters).")
            ),
        ],
    )
    type = SelectField(_l("Type"), choices=_choices(CATEGORY_L1), default="")
    kind = SelectField(_l("River or sea"), choices=_choices(WATER_KIND), default="")
    page = IntegerField(
        _l("Page"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=10_000, message=_l("No such page."))],
    )

    def filters(self) -> SearchFilters:
        return SearchFilters(type=self.type.data or None, kind=self.kind.data or None)
