"""Complaint forms: what a citizen may send, checked field by field."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    FileField,
    FloatField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
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
    ValidationError,
)

from ..core.geo import CHINA_LAT, CHINA_LON
from ..forms import PostForm
from .intake import ComplaintInput

PHONE = Regexp(
    r"^(\+?86[- ]?)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
    message=_l("Enter a mainland mobile number (11 digits) or a landline with its area code."),
)


class TokenListField(Field):
    """Repeated hidden inputs of one name (the tokens of staged photos), as a list."""

    def process_formdata(self, valuelist):
        self.data = [v for v in valuelist if isinstance(v, str) and v][:24]

    def _value(self):
        return ""


class ComplaintForm(PostForm):
    """The report form; photos are checked separately by the photo pipeline.

    `form_key` (issued with the page) ties photos staged while typing to this form and
    makes the submission idempotent; `photo_token` lists those photos.
    """

    form_key = HiddenField(validators=[Optional(), Length(max=64)])
    photo_token = TokenListField(default=list)
    location_choice = RadioField(
        _l("Which place is right?"),
        choices=[
            SelectChoice("outfall", _l("The outfall's position")),
            SelectChoice("photo", _l("Where the photo was taken")),
        ],
        validators=[Optional()],
    )

    category = SelectField(
        _l("What is the problem?"),
        validators=[DataRequired(message=_l("Choose what kind of problem this is."))],
        choices=[],
    )
    description = TextAreaField(
        _l("Describe what you see"),
        validators=[
            DataRequired(message=_l("Describe the problem in a few words.")),
            Length(max=2000, message=_l("Keep the description under %(max)d characters.")),
        ],
    )
    outfall = StringField(_l("Outfall code (if known)"), validators=[Optional(), Length(max=60)])
    lat = FloatField(
        _l("Latitude"),
        validators=[
            Optional(),
            NumberRange(*CHINA_LAT, message=_l("This point is not in China. Check the map pin.")),
        ],
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[
            Optional(),
            NumberRange(*CHINA_LON, message=_l("This point is not in China. Check the map pin.")),
        ],
    )
    location_source = HiddenField(default="pin")
    photos = MultipleFileField(_l("Photos (up to 6)"))
    identity = RadioField(
        _l("Who are you?"),
        choices=[
            SelectChoice("anonymous", _l("Stay anonymous")),
            SelectChoice("named", _l("Give my contact details (kept confidential)")),
        ],
        default="anonymous",
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=80)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), PHONE])
    email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            Length(max=200),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    consent = BooleanField(
        _l("My description and photos may be published without my personal data.")
    )
    # A field people never see: bots fill it in.
    website = StringField(_l("Leave this empty"))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: both coordinates or neither."""
        valid = super().validate(extra_validators)
        if not self.lat.errors and not self.lon.errors:
            if (self.lat.data is None) != (self.lon.data is None):
                self.lon.errors = [_l("Give both latitude and longitude, or use the map.")]
                valid = False
        return valid

    def validate_website(self, field):
        if field.data:
            raise ValidationError(_l("Leave this field empty."))

    @property
    def contact_given(self) -> bool:
        """Whether a name, phone or email was typed (whatever the identity choice)."""
        return any((self.name.data, self.phone.data, self.email.data))

    @property
    def named_by_contact(self) -> bool:
        """Anonymous was chosen (or left as the default) yet contact details were typed.

        Without JavaScript the contact fields show under every choice: a phone typed there
        is meant to be used, so the report is named and confidential, and the page says so
        (with JavaScript, choosing anonymous disables the fields and nothing is sent).
        """
        return self.identity.data != "named" and self.contact_given

    def to_input(self, *, ip: str, locale: str, photo_tokens=()) -> ComplaintInput:
        """The validated form as the intake's input."""
        return ComplaintInput(
            category_code=self.category.data,
            description=self.description.data,
            outfall_code=self.outfall.data,
            lat=self.lat.data,
            lon=self.lon.data,
            location_source=self.location_source.data or "pin",
            anonymous=not (self.identity.data == "named" or self.named_by_contact),
            name=self.name.data or "",
            phone=self.phone.data or "",
            email=self.email.data or "",
            consent_publish=self.consent.data,
            ip=ip,
            locale=locale,
            form_key=self.form_key.data or "",
            photo_tokens=list(photo_tokens or self.photo_token.data or []),
            location_choice=self.location_choice.data or "",
        )


class UploadForm(PostForm):
    """One photo sent while the report form is filled in (the JSON upload endpoint).

    The capture time and position are what the phone read from the original before
    shrinking it; they are recorded as the device's word, never checked against the file.
    """

    form_key = HiddenField(validators=[DataRequired(), Length(max=64)])
    photo = FileField()
    captured_at = StringField(validators=[Optional(), Length(max=40)])
    offset = StringField(validators=[Optional(), Length(max=8)])
    lat = StringField(validators=[Optional(), Length(max=32)])
    lon = StringField(validators=[Optional(), Length(max=32)])


class AddInfoForm(PostForm):
    """More information or photos from the reporter on an open case."""

    message = TextAreaField(
        _l("Add information"),
        validators=[
            DataRequired(message=_l("Write what you want to add.")),
            Length(max=2000, message=_l("Keep the description under %(max)d characters.")),
        ],
    )
    photos = MultipleFileField(_l("Photos (up to 6)"))


class RatingForm(PostForm):
    """The reporter's rating of the outcome of a closed case."""

    rating = IntegerField(
        _l("How satisfied are you with the outcome?"),
        validators=[InputRequired(), NumberRange(1, 5, message=_l("Choose 1 to 5 stars."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=1000)])


class DisputeForm(PostForm):
    """The reporter disputes the outcome; the case reopens."""

    reason = TextAreaField(
        _l("Why is the problem not solved?"),
        validators=[
            DataRequired(message=_l("Tell us why the problem is not solved.")),
            Length(max=2000, message=_l("Keep the description under %(max)d characters.")),
        ],
    )


class LookupForm(PostForm):
    """Find one's case by tracking number and the phone or email given with it."""

    tracking_no = StringField(
        _l("Tracking number"),
        validators=[DataRequired(message=_l("Enter the tracking number."))],
    )
    contact = StringField(
        _l("Phone or email you gave"),
        validators=[DataRequired(message=_l("Enter the phone number or email you gave."))],
    )


class SupportForm(PostForm):
    """ "This affects me too" on an existing open complaint (a button with CSRF only)."""
