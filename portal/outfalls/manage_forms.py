"""Forms of the registry's management pages (/manage/): outfalls and retiring them."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import FilterForm, PostForm
from .labels import (
    CATEGORY_L1,
    CATEGORY_L2,
    CHANNEL_KIND,
    OUTFALL_STATUS,
    STANDARD,
    WATER_BODY_KIND,
    WATER_KIND,
)


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


REASON = _l("Reason for the change (shown in the public history)")


class OutfallForm(PostForm):
    """Every 一口一档 field of an outfall, and why it is saved."""

    code = StringField(
        _l("Code (HJ 1235)"), filters=[_strip], validators=[DataRequired(), Length(max=60)]
    )
    local_code = StringField(_l("Local code"), filters=[_strip], validators=[Length(max=40)])
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    category_l1 = SelectField(
        _l("Type"), choices=[SelectChoice(k, v) for k, v in CATEGORY_L1.items()]
    )
    category_l2 = SelectField(
        _l("Subtype"),
        choices=[SelectChoice(k or "", v) for k, v in CATEGORY_L2.items()],
        default="",
    )
    water_kind = SelectField(
        _l("River or sea"), choices=[SelectChoice(k, v) for k, v in WATER_KIND.items()]
    )
    lat = FloatField(_l("Latitude (WGS84)"), validators=[Optional()])
    lon = FloatField(_l("Longitude (WGS84)"), validators=[Optional()])
    confirm_boundary = BooleanField(_l("The outfall really lies on the region's boundary"))
    address = StringField(_l("Address"), filters=[_strip], validators=[Length(max=200)])
    region_id = SelectField(_l("Region"), coerce=_int_or_none, choices=[])
    water_body_id = SelectField(_l("Receiving water"), coerce=_int_or_none, choices=[])
    responsible = TextAreaField(
        _l("Responsible entities (one a line: credit code or exact name; the first is primary)"),
        validators=[Length(max=4000)],
    )
    management = StringField(
        _l("Management entity (credit code or exact name)"),
        filters=[_strip],
        validators=[Length(max=200)],
    )
    supervising_department_id = SelectField(
        _l("Supervising department"), coerce=_int_or_none, choices=[]
    )
    channel_kind = SelectField(
        _l("Discharge channel"),
        choices=[SelectChoice(k or "", v) for k, v in CHANNEL_KIND.items()],
        default="",
    )
    standard_code = SelectField(
        _l("Standard"),
        choices=[SelectChoice("", _l("Default for the type"))]
        + [SelectChoice(k, v) for k, v in STANDARD.items() if k != "PERMIT"],
        default="",
    )
    signboard_installed_on = DateField(_l("Signboard installed on"), validators=[Optional()])
    reason = StringField(REASON, filters=[_strip], validators=[DataRequired(), Length(max=500)])
    version = HiddenField()


class MergeForm(PostForm):
    target = StringField(
        _l("Merge into (code of an outfall in service)"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=60)],
    )
    on = DateField(_l("On"), validators=[Optional()])
    reason = StringField(REASON, filters=[_strip], validators=[DataRequired(), Length(max=500)])


class BanForm(PostForm):
    decision_no = StringField(
        _l("Decision number"), filters=[_strip], validators=[DataRequired(), Length(max=80)]
    )
    on = DateField(_l("On"), validators=[InputRequired()])
    reason = StringField(REASON, filters=[_strip], validators=[DataRequired(), Length(max=500)])


class CloseForm(PostForm):
    on = DateField(_l("On"), validators=[InputRequired()])
    reason = StringField(REASON, filters=[_strip], validators=[DataRequired(), Length(max=500)])


class ManageFilterForm(FilterForm):
    """/manage/: a code or name, a status, and where the page starts (a code)."""

    q = StringField(_l("Code or name"), filters=[_strip], validators=[Length(max=60)])
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any"))]
        + [SelectChoice(k, v) for k, v in OUTFALL_STATUS.items()],
        default="",
    )
    after = StringField(validators=[Length(max=40)])


class EntityForm(PostForm):
    """A responsible or management entity; the credit code is checked (python-stdnum)."""

    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    credit_code = StringField(
        _l("Unified social credit code"), filters=[_strip], validators=[Length(max=18)]
    )
    permit_no = StringField(_l("Discharge permit"), filters=[_strip], validators=[Length(max=40)])
    industry = StringField(_l("Industry"), filters=[_strip], validators=[Length(max=80)])
    phone = StringField(_l("Phone (internal)"), filters=[_strip], validators=[Length(max=40)])
    reason = StringField(REASON, filters=[_strip], validators=[DataRequired(), Length(max=500)])


class WaterForm(PostForm):
    """A receiving water body."""

    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("English name"), filters=[_strip], validators=[Length(max=120)])
    code = StringField(_l("Code"), filters=[_strip], validators=[Length(max=40)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in WATER_BODY_KIND.items()])
    target_class = StringField(
        _l("Target water class"), filters=[_strip], validators=[Length(max=8)]
    )
    parent_id = SelectField(_l("Flows into"), coerce=_int_or_none, choices=[])
    reason = StringField(REASON, filters=[_strip], validators=[DataRequired(), Length(max=500)])
