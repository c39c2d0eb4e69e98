"""Input shapes for the public registry pages (query strings, no CSRF needed for GET)."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, Regexp

from ..forms import FilterForm
from .labels import (
    CATEGORY_L1,
    LEGAL_STATUS,
    OUTFALL_STATUS,
    PROGRESS_STAGE,
    REMEDIATION_STATUS,
    WATER_KIND,
)
from .services import OutfallFilters


def _choices(table: dict) -> list[SelectChoice]:
    return [SelectChoice("", _l("Any"))] + [
        SelectChoice(k, v) for k, v in table.items() if k is not None
    ]


class OutfallFilterForm(FilterForm):
    """Filters of the outfall list; every value is checked, none is trusted."""

    region = StringField(
        _l("Region"),
        validators=[Optional(), Regexp(r"^\d{6,12}$", message=_l("Not a region code."))],
    )
    water = IntegerField(
        _l("Water body"),
        validators=[Optional(), NumberRange(min=1, message=_l("Not a water body."))],
    )
    type = SelectField(_l("Type"), choices=_choices(CATEGORY_L1), default="")
    kind = SelectField(_l("River or sea"), choices=_choices(WATER_KIND), default="")
    remediation = SelectField(_l("Remediation"), choices=_choices(REMEDIATION_STATUS), default="")
    status = SelectField(_l("Status"), choices=_choices(OUTFALL_STATUS), default="")
    legal = SelectField(_l("Legal status"), choices=_choices(LEGAL_STATUS), default="")
    stage = SelectField(_l("Remediation stage"), choices=_choices(PROGRESS_STAGE), default="")
    page = IntegerField(
        _l("Page"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=1_000_000, message=_l("No such page."))],
    )

    def filters(self) -> OutfallFilters:
        """The validated filters (call after validate())."""
        return OutfallFilters(
            region=self.region.data or None,
            water=self.water.data,
            type=self.type.data or None,
            kind=self.kind.data or None,
            remediation=self.remediation.data or None,
            status=self.status.data or None,
            legal=self.legal.data or None,
            stage=self.stage.data or None,
        )


class CodeLookupForm(FilterForm):
    """The "type the code on the signboard" box."""

    code = StringField(_l("Outfall code"))
