"""Tables of the sign-off workflow, its documents, the targets and the progress rollup.

The plan, its milestones and its public status path live in outfalls.models (RemediationPlan,
RemediationMilestone, RemediationEvent); this package adds what proves the work was done.
"""

import enum
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import files
from ..agencies.models import Department
from ..core.clock import utcnow
from ..dbtypes import UTCDateTime, str_enum
from ..extensions import db
from ..geo.models import Region
from ..outfalls.models import CategoryL1, RemediationPlan, WaterKind
from .signoff import Action


class SignoffStep(db.Model):
    """One step of a plan's sign-off (销号), append-only: who (department), when, with what."""

    __tablename__ = "signoff_steps"
    __table_args__ = (Index("ix_signoff_steps_plan_id", "plan_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("remediation_plans.id"))
    action: Mapped[Action] = mapped_column(str_enum(Action, 24))
    occurred_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    # The supervising department's formal confirmation (正式确认文件), on `confirm`.
    document_number: Mapped[str] = mapped_column(String(80), default="")
    document_date: Mapped[Optional[date]] = mapped_column(Date)
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_members.id"), index=True)
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Optional[Department]] = relationship()
    documents: Mapped[list["RemediationDocument"]] = relationship(
        back_populates="step", order_by="RemediationDocument.id"
    )


class DocumentKind(enum.StrEnum):
    pdf = "pdf"
    photo = "photo"


class RemediationDocument(db.Model):
    """Evidence of a plan: a PDF or a photo (re-encoded, no metadata), content-addressed.

    Attached to a milestone (evidence of work done) or to a sign-off step (proof,
    confirmation). Public only once the plan is signed off.
    """

    __tablename__ = "remediation_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("remediation_plans.id"), index=True)
    step_id: Mapped[Optional[int]] = mapped_column(ForeignKey("signoff_steps.id"), index=True)
    milestone_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("remediation_milestones.id"), index=True
    )
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind, 8))
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[RemediationPlan] = relationship()
    step: Mapped[Optional[SignoffStep]] = relationship(back_populates="documents")


files.register("UPLOAD_DIR", RemediationDocument.sha256)


class RemediationTarget(db.Model):
    """A yearly target the coordinator keeps: by `due_on`, `percent` of the outfalls identified
    by then signed off, in a region (None: the whole deployment), per a source document."""

    __tablename__ = "remediation_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    percent: Mapped[int] = mapped_column(Integer)
    region_id: Mapped[Optional[int]] = mapped_column(ForeignKey("regions.id"), index=True)
    source: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    region: Mapped[Optional[Region]] = relationship()


class ProgressCell(db.Model):
    """Rollup: outfalls now in a stage, by region, water body, type and river/sea."""

    __tablename__ = "remediation_progress"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    water_body_id: Mapped[int] = mapped_column(ForeignKey("water_bodies.id"), primary_key=True)
    category_l1: Mapped[CategoryL1] = mapped_column(str_enum(CategoryL1, 2), primary_key=True)
    water_kind: Mapped[WaterKind] = mapped_column(str_enum(WaterKind, 8), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class ProgressMonth(db.Model):
    """Rollup: per region and month, outfalls identified, signed off and retained that month."""

    __tablename__ = "remediation_progress_months"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    identified: Mapped[int] = mapped_column(Integer, default=0)
    signed_off: Mapped[int] = mapped_column(Integer, default=0)
    retained: Mapped[int] = mapped_column(Integer, default=0)


# A plan's sign-off steps, read-only from the plan: the QR page loads them with the outfall
# in its one query (outfalls.services). Declared here, with the steps' model.
RemediationPlan.signoff_steps = relationship(SignoffStep, viewonly=True, order_by="SignoffStep.id")
