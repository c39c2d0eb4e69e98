"""The staff intake form: a report that reached staff by phone, 12345, letter, in person or
WeChat, with the same checks as the public form plus the channel and when it arrived."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from ..complaints.forms import PHONE
from ..complaints.intake import ComplaintInput
from ..complaints.labels import CHANNEL
from ..complaints.models import STAFF_CHANNELS
from ..core.clock import LOCAL_TZ
from ..core.geo import CHINA_LAT, CHINA_LON
from ..forms import PostForm

ORDER_NO = Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$",
    message=_l("A work order number has 3 to 40 letters, digits or dashes."),
)


class StaffIntakeForm(PostForm):
    """A report entered by staff; it goes through the same intake as the web form."""

    channel = SelectField(
        _l("How did the report reach you?"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(c.value, CHANNEL[c.value]) for c in STAFF_CHANNELS],
        validators=[DataRequired(message=_l("Choose how the report reached you."))],
    )
    received_at = DateTimeLocalField(
        _l("Received at"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message=_l("Give the date and time the report was received."))],
    )
    hotline_order_no = StringField(_l("12345 work order number"), validators=[Optional(), ORDER_NO])
    category = SelectField(
        _l("Problem type"),
        validators=[DataRequired(message=_l("Choose what kind of problem this is."))],
        choices=[],
    )
    outfall = StringField(_l("Outfall code (if known)"), validators=[Optional(), Length(max=60)])
    lat = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(*CHINA_LAT, message=_l("This point is not in China."))],
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[Optional(), NumberRange(*CHINA_LON, message=_l("This point is not in China."))],
    )
    description = TextAreaField(
        _l("What the reporter says"),
        validators=[
            DataRequired(message=_l("Describe the problem in a few words.")),
            Length(max=4000, message=_l("Keep the description under %(max)d characters.")),
        ],
    )
    anonymous = BooleanField(_l("The reporter wants to stay anonymous"))
    name = StringField(_l("Reporter's name"), validators=[Optional(), Length(max=80)])
    phone = StringField(_l("Reporter's phone"), validators=[Optional(), PHONE])
    email = StringField(
        _l("Reporter's email"),
        validators=[
            Optional(),
            Length(max=200),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    consent = BooleanField(_l("The reporter agrees that the description and photos are published"))
    photos = MultipleFileField(_l("Photos (up to 6)"))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: both coordinates or neither."""
        valid = super().validate(extra_validators)
        if not self.lat.errors and not self.lon.errors:
            if (self.lat.data is None) != (self.lon.data is None):
                self.lon.errors = [_l("Give both latitude and longitude, or neither.")]
                valid = False
        return valid

    def received(self) -> datetime | None:
        """The local date and time typed, as an aware moment (China time)."""
        if self.received_at.data is None:
            return None
        return self.received_at.data.replace(tzinfo=LOCAL_TZ)

    def to_input(self, *, entered_by: int, locale: str) -> ComplaintInput:
        """The validated form as the intake's input."""
        return ComplaintInput(
            category_code=self.category.data,
            description=self.description.data,
            outfall_code=self.outfall.data,
            lat=self.lat.data,
            lon=self.lon.data,
            location_source="pin",
            anonymous=self.anonymous.data,
            name=self.name.data or "",
            phone=self.phone.data or "",
            email=self.email.data or "",
            consent_publish=self.consent.data,
            locale=locale,
            channel=self.channel.data,
            received_at=self.received(),
            hotline_order_no=self.hotline_order_no.data or "",
            entered_by=entered_by,
        )


class HotlineOrderForm(PostForm):
    """Mark a case as transferred from a 12345 work order."""

    order_no = StringField(
        _l("12345 work order number"),
        validators=[DataRequired(message=_l("Give the 12345 work order number.")), ORDER_NO],
    )
