"""The public record's filters (GET, no CSRF): every value is checked before a query."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, Regexp

from ..forms import FilterForm
from .record import RecordQuery


class RecordFilterForm(FilterForm):
    """Filters of /complaints/; codes are looked up by record.resolve."""

    status = StringField(
        _l("Status"),
        validators=[Optional(), Regexp(r"^[a-z_]{1,20}$", message=_l("Not a status of a report."))],
    )
    category = StringField(
        _l("Problem type"),
        validators=[
            Optional(),
            Regexp(r"^[a-z0-9_]{1,32}$", message=_l("Not a kind of problem reports have.")),
        ],
    )
    region = StringField(
        _l("Region"),
        validators=[Optional(), Regexp(r"^\d{6,12}$", message=_l("Not a region code."))],
    )
    water = IntegerField(
        _l("Water body"),
        validators=[Optional(), NumberRange(min=1, message=_l("Not a water body."))],
    )
    outfall = StringField(_l("Outfall code"), validators=[Optional(), Length(max=40)])
    department = IntegerField(
        _l("Department"),
        validators=[Optional(), NumberRange(min=1, message=_l("Not a department."))],
    )
    period = StringField(_l("Period"), validators=[Optional(), Length(max=10)])
    after = StringField(validators=[Optional(), Length(max=40)])

    def query(self) -> RecordQuery:
        """The filters as typed (call after validate())."""
        return RecordQuery(
            status=self.status.data or "",
            category=self.category.data or "",
            region=self.region.data or "",
            water=self.water.data,
            outfall=(self.outfall.data or "").strip(),
            department=self.department.data,
            period=(self.period.data or "").strip(),
        )
