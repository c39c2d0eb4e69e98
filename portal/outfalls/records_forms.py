"""Input shapes of the staff pages for approvals and monitoring (/manage/…)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    FileField,
    FloatField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import PostForm
from .approvals import LIMIT_KEYS, ApprovalInput
from .labels import APPROVAL_KIND, SAMPLER_KIND, WEATHER
from .models import ApprovalKind

REASON = _l("Reason (published)")


def _limit(label):
    return FloatField(label, validators=[Optional()])


class ApprovalForm(PostForm):
    """A decision: create, correct or supersede (the reason is required for the latter two)."""

    kind = SelectField(
        _l("Kind of decision"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(k.value, APPROVAL_KIND[k.value]) for k in ApprovalKind],
        validators=[DataRequired(message=_l("Choose the kind of decision."))],
    )
    decision_no = StringField(
        _l("Decision number"),
        validators=[DataRequired(message=_l("Enter the decision number.")), Length(max=80)],
    )
    authority = StringField(
        _l("Authority"),
        validators=[DataRequired(message=_l("Enter the authority that decided.")), Length(max=120)],
    )
    decided_on = DateField(
        _l("Decision date"),
        validators=[InputRequired(message=_l("Give the date of the decision."))],
    )
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    volume = FloatField(_l("Permitted volume (m³ per day)"), validators=[Optional()])
    limit_cod = _limit(_l("COD limit (mg/L)"))
    limit_nh3n = _limit(_l("Ammonia nitrogen limit (mg/L)"))
    limit_tn = _limit(_l("Total nitrogen limit (mg/L)"))
    limit_tp = _limit(_l("Total phosphorus limit (mg/L)"))
    ph_min = FloatField(_l("pH from"), validators=[Optional()])
    ph_max = FloatField(_l("pH to"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    documents = MultipleFileField(_l("Documents (PDF)"))
    document_title = StringField(_l("Document title"), validators=[Optional(), Length(max=200)])
    reason = TextAreaField(REASON, validators=[Optional(), Length(max=1000)])

    def to_input(self) -> ApprovalInput:
        limits = {key: self[f"limit_{key}"].data for key in LIMIT_KEYS}
        limits["ph_min"], limits["ph_max"] = self.ph_min.data, self.ph_max.data
        return ApprovalInput(
            kind=ApprovalKind(self.kind.data),
            decision_no=self.decision_no.data or "",
            authority=self.authority.data or "",
            decided_on=self.decided_on.data,
            valid_until=self.valid_until.data,
            permitted_daily_volume_m3=self.volume.data,
            limits={k: v for k, v in limits.items() if v is not None},
            note=self.note.data or "",
        )

    def fill_from(self, approval) -> None:
        """Show a stored decision in the form (GET of the correction page)."""
        self.kind.data = approval.kind.value
        self.decision_no.data = approval.decision_no
        self.authority.data = approval.authority
        self.decided_on.data = approval.decided_on
        self.valid_until.data = approval.valid_until
        self.volume.data = approval.permitted_daily_volume_m3
        for key in LIMIT_KEYS:
            self[f"limit_{key}"].data = approval.limits.get(key)
        self.ph_min.data = approval.limits.get("ph_min")
        self.ph_max.data = approval.limits.get("ph_max")
        self.note.data = approval.note


class RevokeForm(PostForm):
    """Revocation (注销/撤销) of a decision."""

    revoked_on = DateField(
        _l("Revoked on"), validators=[InputRequired(message=_l("Give the date of revocation."))]
    )
    reason = TextAreaField(
        REASON,
        validators=[DataRequired(message=_l("Say why it is revoked.")), Length(max=1000)],
    )


def _measure(label):
    return FloatField(label, validators=[Optional()])


class SampleForm(PostForm):
    """One monitoring sample (entry or correction)."""

    sampled_at = DateTimeLocalField(
        _l("Sampled at (China time)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message=_l("Give the date and time of sampling."))],
    )
    sampler_kind = SelectField(
        _l("Sampler"),
        choices=[SelectChoice(k, v) for k, v in SAMPLER_KIND.items()],
        validators=[DataRequired()],
    )
    organisation = StringField(_l("Sampled by (organisation)"), validators=[Length(max=120)])
    lab = StringField(_l("Laboratory"), validators=[Length(max=120)])
    weather = SelectField(
        _l("Weather"),
        choices=[SelectChoice("", _l("Not recorded"))]
        + [SelectChoice(k, v) for k, v in WEATHER.items() if k],
        validators=[Optional()],
    )
    ph = _measure(_l("pH (no unit, 0–14)"))
    cod = _measure(_l("COD (mg/L)"))
    nh3n = _measure(_l("Ammonia nitrogen NH₃-N (mg/L)"))
    tn = _measure(_l("Total nitrogen (mg/L)"))
    tp = _measure(_l("Total phosphorus (mg/L)"))
    flow_m3s = _measure(_l("Flow (m³/s)"))
    temperature_c = _measure(_l("Water temperature (°C)"))
    reason = TextAreaField(REASON, validators=[Optional(), Length(max=1000)])

    def values(self) -> dict:
        return {
            name: self[name].data for name in self._fields if name not in ("reason", "csrf_token")
        }


class MonitoringUploadForm(PostForm):
    """A CSV of samples for many outfalls."""

    file = FileField(_l("CSV file"))
