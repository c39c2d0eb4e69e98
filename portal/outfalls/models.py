"""Outfall registry tables (一口一档): the outfall and everything published about it."""

import enum
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates
from stdnum.cn import uscc

from .. import files
from ..agencies.models import Department
from ..core.clock import utcnow
from ..dbtypes import UTCDateTime, str_enum
from ..extensions import db
from ..geo.models import Region, WaterBody


class CategoryL1(enum.StrEnum):
    """HJ 1235 first-level type codes (YH kept as the Jincheng/HJ 1235 appendix has it)."""

    GY = "GY"  # industrial
    SH = "SH"  # municipal wastewater treatment plant
    NY = "NY"  # agricultural
    YH = "YH"  # urban stormwater
    QT = "QT"  # other


class CategoryL2(enum.StrEnum):
    """Second-level types; the prefix names the first level they belong to."""

    gy_enterprise = "gy_enterprise"
    gy_park_wwtp = "gy_park_wwtp"
    gy_enterprise_storm = "gy_enterprise_storm"
    gy_park_storm = "gy_park_storm"
    sh_wwtp = "sh_wwtp"
    ny_livestock = "ny_livestock"
    ny_aquaculture = "ny_aquaculture"
    yh_storm = "yh_storm"
    qt_irrigation = "qt_irrigation"
    qt_port = "qt_port"
    qt_small_livestock = "qt_small_livestock"
    qt_small_aquaculture = "qt_small_aquaculture"
    qt_urban_scattered = "qt_urban_scattered"
    qt_rural_facility = "qt_rural_facility"
    qt_rural_scattered = "qt_rural_scattered"
    qt_other = "qt_other"

    @property
    def l1(self) -> CategoryL1:
        return CategoryL1(self.value[:2].upper())


STORMWATER_L2 = frozenset(
    {CategoryL2.gy_enterprise_storm, CategoryL2.gy_park_storm, CategoryL2.yh_storm}
)


class WaterKind(enum.StrEnum):
    """River outfalls fall under MEE order 35, sea outfalls under 环海洋〔2024〕72号."""

    river = "river"
    sea = "sea"


class ChannelKind(enum.StrEnum):
    open_channel = "open_channel"
    pipe = "pipe"
    pump_station = "pump_station"
    sluice = "sluice"
    box_culvert = "box_culvert"
    other = "other"


class OutfallStatus(enum.StrEnum):
    in_service = "in_service"
    merged = "merged"
    banned = "banned"
    closed = "closed"


class Entity(db.Model):
    """A responsible or management entity: enterprise, plant operator, government body."""

    __tablename__ = "entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    # 统一社会信用代码, validated with python-stdnum before it is stored.
    credit_code: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    permit_no: Mapped[Optional[str]] = mapped_column(String(40))
    industry: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")

    @validates("credit_code")
    def _validate_credit_code(self, _key: str, value: str | None) -> str | None:
        """Store only valid codes, in compact form.

        Raises:
            stdnum.exceptions.ValidationError: the code or its check character is wrong.
        """
        return uscc.validate(value) if value else None

    def __repr__(self) -> str:
        return f"<Entity {self.name}>"


class Outfall(db.Model):
    """One outfall (排污口) and its identity, place, type and responsibilities."""

    __tablename__ = "outfalls"
    __table_args__ = (
        Index("ix_outfalls_region_code", "region_id", "code"),
        Index("ix_outfalls_region_category_l1_code", "region_id", "category_l1", "code"),
        # Covers the home page's counts by type and kind without touching the table.
        Index("ix_outfalls_category_l1_kind_demo", "category_l1", "water_kind", "is_demo"),
        Index("ix_outfalls_water_body_code", "water_body_id", "code"),
        Index("ix_outfalls_category_l1_code", "category_l1", "code"),
        Index("ix_outfalls_water_kind_code", "water_kind", "code"),
        Index("ix_outfalls_status_code", "status", "code"),
        # /manage/: a department's outfalls in keyset pages by code.
        Index("ix_outfalls_department_code", "supervising_department_id", "code"),
        Index("ix_outfalls_lat_lon", "lat", "lon"),
        # The map's viewport counts with a type or river/sea filter.
        Index("ix_outfalls_category_l1_lat_lon", "category_l1", "lat", "lon"),
        Index("ix_outfalls_water_kind_lat_lon", "water_kind", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The full HJ 1235 code, normalised (core.codes.normalise_code). Treated as opaque:
    # segment lengths are not verified, so the segments are stored alongside, not parsed.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    seg_water: Mapped[str] = mapped_column(String(20), default="")
    seg_region: Mapped[str] = mapped_column(String(12), default="")
    seg_type: Mapped[str] = mapped_column(String(2), default="")
    seg_serial: Mapped[str] = mapped_column(String(8), default="")
    local_code: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category_l1: Mapped[CategoryL1] = mapped_column(str_enum(CategoryL1, 2))
    # None means "not yet determinable" (暂无法确定) while the outfall is being traced.
    category_l2: Mapped[Optional[CategoryL2]] = mapped_column(str_enum(CategoryL2))
    water_kind: Mapped[WaterKind] = mapped_column(str_enum(WaterKind, 8))
    lat: Mapped[Optional[float]] = mapped_column(Float)
    lon: Mapped[Optional[float]] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    water_body_id: Mapped[int] = mapped_column(ForeignKey("water_bodies.id"))
    management_entity_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("entities.id"), index=True
    )
    # Indexed by ix_outfalls_department_code, whose first column it is.
    supervising_department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    channel_kind: Mapped[Optional[ChannelKind]] = mapped_column(str_enum(ChannelKind))
    status: Mapped[OutfallStatus] = mapped_column(
        str_enum(OutfallStatus, 16), default=OutfallStatus.in_service
    )
    status_since: Mapped[Optional[date]] = mapped_column(Date)
    # The decision (决定书) number of a ban (取缔); empty otherwise.
    status_decision_no: Mapped[str] = mapped_column(String(80), default="", server_default="")
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("outfalls.id"), index=True)
    signboard_installed_on: Mapped[Optional[date]] = mapped_column(Date)
    # Key into standards.STANDARDS; None means the default for the outfall's type.
    standard_code: Mapped[Optional[str]] = mapped_column(String(24))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic lock: every UPDATE says WHERE version = <read>, so a concurrent save fails.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # When the public record last changed (outfalls.ledger.with_last_changed loads it).
    last_changed_at: Mapped[Optional[datetime]] = query_expression()

    __mapper_args__ = {"version_id_col": version}

    region: Mapped[Region] = relationship()
    water_body: Mapped[WaterBody] = relationship()
    management_entity: Mapped[Optional[Entity]] = relationship()
    supervising_department: Mapped[Optional[Department]] = relationship()
    merged_into: Mapped[Optional["Outfall"]] = relationship(remote_side=[id])
    responsible_links: Mapped[list["OutfallResponsibility"]] = relationship(
        back_populates="outfall",
        cascade="all, delete-orphan",
        order_by="(OutfallResponsibility.is_primary.desc(), OutfallResponsibility.entity_id)",
    )
    approvals: Mapped[list["Approval"]] = relationship(
        back_populates="outfall",
        cascade="all, delete-orphan",
        order_by="(Approval.decided_on.desc(), Approval.id.desc())",
    )
    remediation_plan: Mapped[Optional["RemediationPlan"]] = relationship(
        back_populates="outfall",
        cascade="all, delete-orphan",
        foreign_keys="RemediationPlan.outfall_id",
    )

    @property
    def is_stormwater(self) -> bool:
        """Stormwater outfalls: any dry-weather flow is itself an anomaly."""
        return self.category_l1 is CategoryL1.YH or self.category_l2 in STORMWATER_L2

    @property
    def primary_entity(self) -> Optional[Entity]:
        for link in self.responsible_links:
            if link.is_primary:
                return link.entity
        return None

    @property
    def latest_approval(self) -> Optional["Approval"]:
        """The newest decision still current (not corrected, superseded or revoked)."""
        return next((a for a in self.approvals if a.is_current), None)

    def __repr__(self) -> str:
        return f"<Outfall {self.code}>"


class FormerCode(db.Model):
    """A code an outfall carried before it was corrected: never reused, still resolves."""

    __tablename__ = "outfall_former_codes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    outfall_id: Mapped[int] = mapped_column(ForeignKey("outfalls.id"), index=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutfallResponsibility(db.Model):
    """Responsible entity (责任主体) of an outfall; a shared outlet names one primary."""

    __tablename__ = "outfall_responsibilities"
    __table_args__ = (
        Index(
            "uq_outfall_responsibilities_one_primary",
            "outfall_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
    )

    outfall_id: Mapped[int] = mapped_column(ForeignKey("outfalls.id"), primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), primary_key=True, index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    outfall: Mapped[Outfall] = relationship(back_populates="responsible_links")
    entity: Mapped[Entity] = relationship()


class ApprovalKind(enum.StrEnum):
    """审批 and 登记 for river outfalls (部令35号); 备案 for sea outfalls (72号)."""

    approval = "approval"
    registration = "registration"
    filing = "filing"


class ApprovalState(enum.StrEnum):
    """Where a published decision stands; only `current` rows count for the legal status.

    A correction (a mistake in what was published) and a superseding decision (a new
    decision, e.g. a renewal) both add a new row and keep the old one with its state.
    """

    current = "current"
    corrected = "corrected"
    superseded = "superseded"
    revoked = "revoked"


class Approval(db.Model):
    """A published setting approval, registration or sea filing decision."""

    __tablename__ = "approvals"
    __table_args__ = (
        Index("ix_approvals_outfall_decided", "outfall_id", "decided_on"),
        # The legal-status checks and the list's ?legal= filter (outfalls.legal).
        Index(
            "ix_approvals_outfall_state_kind_valid", "outfall_id", "state", "kind", "valid_until"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outfall_id: Mapped[int] = mapped_column(ForeignKey("outfalls.id"))
    kind: Mapped[ApprovalKind] = mapped_column(str_enum(ApprovalKind, 16))
    decision_no: Mapped[str] = mapped_column(String(80))
    authority: Mapped[str] = mapped_column(String(120))
    decided_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[Optional[date]] = mapped_column(Date)
    permitted_daily_volume_m3: Mapped[Optional[float]] = mapped_column(Float)
    # Permit limits in mg/L (pH as "ph_min"/"ph_max"); they override the default standard.
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ApprovalState] = mapped_column(
        str_enum(ApprovalState, 16), default=ApprovalState.current
    )
    # The earlier version this row corrects or the decision it supersedes.
    replaces_id: Mapped[Optional[int]] = mapped_column(ForeignKey("approvals.id"), index=True)
    # Set when this row is a correction of the published record (China date).
    corrected_on: Mapped[Optional[date]] = mapped_column(Date)
    # Why this version exists (correction or superseding decision), shown publicly.
    change_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_on: Mapped[Optional[date]] = mapped_column(Date)
    revocation_reason: Mapped[str] = mapped_column(Text, default="")

    outfall: Mapped[Outfall] = relationship(back_populates="approvals")
    documents: Mapped[list["ApprovalDocument"]] = relationship(
        back_populates="approval",
        cascade="all, delete-orphan",
        order_by="ApprovalDocument.id",
    )

    @property
    def is_current(self) -> bool:
        return self.state is ApprovalState.current


class ApprovalDocument(db.Model):
    """A PDF attached to an approval, stored content-addressed under the upload root."""

    __tablename__ = "approval_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    approval_id: Mapped[int] = mapped_column(ForeignKey("approvals.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80), default="application/pdf")
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64), index=True)

    approval: Mapped[Approval] = relationship(back_populates="documents")


class RemediationCategory(enum.StrEnum):
    ban = "ban"  # 依法取缔
    merge = "merge"  # 清理合并
    regularise = "regularise"  # 规范整治
    retain = "retain"  # 保留


class RemediationStatus(enum.StrEnum):
    """From finding an outfall to its sign-off (销号), as in DOMAIN §8."""

    identified = "identified"
    monitored = "monitored"
    traced = "traced"
    plan_approved = "plan_approved"
    remediating = "remediating"
    signoff_submitted = "signoff_submitted"
    dept_confirmed = "dept_confirmed"
    eee_approved = "eee_approved"
    closed = "closed"
    retained = "retained"


DONE_REMEDIATION = frozenset({RemediationStatus.closed, RemediationStatus.retained})

# Progress stages (the /progress matrix and the list's `stage` filter): each plan status
# falls in one; an outfall without a plan is in "no_plan". Signed off and retained apart.
PROGRESS_STAGES: dict[str, frozenset[RemediationStatus]] = {
    "not_started": frozenset(
        {RemediationStatus.identified, RemediationStatus.monitored, RemediationStatus.traced}
    ),
    "remediating": frozenset({RemediationStatus.plan_approved, RemediationStatus.remediating}),
    "in_signoff": frozenset(
        {
            RemediationStatus.signoff_submitted,
            RemediationStatus.dept_confirmed,
            RemediationStatus.eee_approved,
        }
    ),
    "signed_off": frozenset({RemediationStatus.closed}),
    "retained": frozenset({RemediationStatus.retained}),
}
STAGE_OF_STATUS = {status: stage for stage, group in PROGRESS_STAGES.items() for status in group}
NO_PLAN = "no_plan"
STAGES = (NO_PLAN, *PROGRESS_STAGES)

# The path a plan takes to sign-off (销号), in order; retained outfalls leave it after
# tracing. Demo data and, later, the sign-off workflow walk it.
REMEDIATION_PATH = (
    RemediationStatus.identified,
    RemediationStatus.monitored,
    RemediationStatus.traced,
    RemediationStatus.plan_approved,
    RemediationStatus.remediating,
    RemediationStatus.signoff_submitted,
    RemediationStatus.dept_confirmed,
    RemediationStatus.eee_approved,
    RemediationStatus.closed,
)


class RemediationPlan(db.Model):
    """一口一策: the one remediation plan of an outfall."""

    __tablename__ = "remediation_plans"
    __table_args__ = (
        Index("ix_remediation_plans_status_outfall", "status", "outfall_id"),
        Index("ix_remediation_plans_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outfall_id: Mapped[int] = mapped_column(ForeignKey("outfalls.id"), unique=True)
    category: Mapped[RemediationCategory] = mapped_column(str_enum(RemediationCategory, 16))
    status: Mapped[RemediationStatus] = mapped_column(
        str_enum(RemediationStatus), default=RemediationStatus.identified
    )
    measures: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[Optional[date]] = mapped_column(Date)
    transition_until: Mapped[Optional[date]] = mapped_column(Date)
    merge_target_id: Mapped[Optional[int]] = mapped_column(ForeignKey("outfalls.id"))
    signed_off_on: Mapped[Optional[date]] = mapped_column(Date)
    # Sign-off workflow and progress (portal/remediation): when the outfall was identified
    # (the targets' denominator), the transition period's reason, the department carrying
    # the plan out, and the deadline the tick last warned and escalated for.
    identified_on: Mapped[Optional[date]] = mapped_column(Date, index=True)
    transition_reason: Mapped[str] = mapped_column(Text, default="")
    responsible_department_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    warned_for: Mapped[Optional[date]] = mapped_column(Date)
    escalated_for: Mapped[Optional[date]] = mapped_column(Date)

    outfall: Mapped[Outfall] = relationship(
        back_populates="remediation_plan", foreign_keys=[outfall_id]
    )
    merge_target: Mapped[Optional[Outfall]] = relationship(foreign_keys=[merge_target_id])
    responsible_department: Mapped[Optional[Department]] = relationship()
    milestones: Mapped[list["RemediationMilestone"]] = relationship(
        cascade="all, delete-orphan", order_by="RemediationMilestone.due_on"
    )
    events: Mapped[list["RemediationEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="RemediationEvent.occurred_on"
    )

    @property
    def is_done(self) -> bool:
        return self.status in DONE_REMEDIATION

    def is_late(self, today: date) -> bool:
        """Past its deadline and not signed off."""
        return not self.is_done and self.deadline is not None and self.deadline < today


class RemediationMilestone(db.Model):
    """A dated step of a remediation plan."""

    __tablename__ = "remediation_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("remediation_plans.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[Optional[date]] = mapped_column(Date)
    evidence_note: Mapped[str] = mapped_column(Text, default="")


class RemediationEvent(db.Model):
    """One entry of a plan's public history: the status it reached, when, and why."""

    __tablename__ = "remediation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("remediation_plans.id"), index=True)
    status: Mapped[RemediationStatus] = mapped_column(str_enum(RemediationStatus))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class SamplerKind(enum.StrEnum):
    supervisory = "supervisory"  # 监督性监测 by the authorities
    self_monitoring = "self"  # 自行监测 by the responsible entity


class Weather(enum.StrEnum):
    dry = "dry"
    wet = "wet"


class MonitoringRecord(db.Model):
    """One sample: the five required indicators, flow, and any others."""

    __tablename__ = "monitoring_records"
    __table_args__ = (
        Index("ix_monitoring_records_outfall_sampled", "outfall_id", "sampled_at"),
        # One standing sample per outfall, time and sampler; a correction supersedes the
        # original (kept), so the rule holds among rows not superseded.
        Index(
            "uq_monitoring_records_standing",
            "outfall_id",
            "sampled_at",
            "sampler_kind",
            unique=True,
            sqlite_where=text("NOT superseded"),
            postgresql_where=text("NOT superseded"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outfall_id: Mapped[int] = mapped_column(ForeignKey("outfalls.id"))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sampler_kind: Mapped[SamplerKind] = mapped_column(str_enum(SamplerKind, 16))
    organisation: Mapped[str] = mapped_column(String(120), default="")
    # The laboratory that analysed the sample (may differ from who took it).
    lab: Mapped[str] = mapped_column(String(120), default="")
    weather: Mapped[Optional[Weather]] = mapped_column(str_enum(Weather, 8))
    ph: Mapped[Optional[float]] = mapped_column(Float)
    cod: Mapped[Optional[float]] = mapped_column(Float)
    nh3n: Mapped[Optional[float]] = mapped_column(Float)
    tn: Mapped[Optional[float]] = mapped_column(Float)
    tp: Mapped[Optional[float]] = mapped_column(Float)
    flow_m3s: Mapped[Optional[float]] = mapped_column(Float)
    temperature_c: Mapped[Optional[float]] = mapped_column(Float)
    # Other characteristic pollutants, mg/L, e.g. {"petroleum": 0.3}.
    other: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Corrections never delete: the original stays, superseded, and the correction names it.
    corrects_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("monitoring_records.id"), index=True
    )
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_reason: Mapped[str] = mapped_column(Text, default="")

    outfall: Mapped[Outfall] = relationship()


# Files these rows keep: the published PDF documents of approvals.
files.register("UPLOAD_DIR", ApprovalDocument.sha256)


class LedgerEntry(db.Model):
    """One change to the registry (一口一档, 动态更新): append-only and hash-chained.

    Each chain is one subject's history ("outfall:12", "entity:3", "water:7"); an outfall's
    chain also carries its approvals', monitoring's and plan's changes, so its public history
    is one ordered list. `changes` holds {"field", "old", "new", "public"} items. The id is
    the registry's change sequence: a node catches its search index and caches up from it.
    Staff ids stay internal; the public sees the department, the time and the reason.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_ledger_entries_outfall_id", "outfall_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column()
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column()
    outfall_id: Mapped[Optional[int]] = mapped_column(ForeignKey("outfalls.id"))
    action: Mapped[str] = mapped_column(String(24))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="form")
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))

    department: Mapped[Optional[Department]] = relationship()
