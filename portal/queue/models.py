"""Queue tables: routing rules, calendar overrides, pauses, extensions, reply templates, the
monthly figures of each department."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agencies.models import Department
from ..complaints.models import Complaint
from ..core.clock import utcnow
from ..dbtypes import UTCDateTime
from ..extensions import db

rule_assisting = Table(
    "routing_rule_assisting",
    db.metadata,
    Column("rule_id", ForeignKey("routing_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True),
)


class RoutingRule(db.Model):
    """Category × outfall type × region → lead department (+ assisting); empty means any."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[Optional[str]] = mapped_column(String(32))
    outfall_type: Mapped[Optional[str]] = mapped_column(String(2))
    # A level-2 type (outfalls.models.CategoryL2 value), within outfall_type.
    outfall_subtype: Mapped[Optional[str]] = mapped_column(String(32))
    region_code: Mapped[Optional[str]] = mapped_column(String(12))
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    note: Mapped[str] = mapped_column(String(200), default="")

    lead_department: Mapped[Department] = relationship()
    assisting: Mapped[list[Department]] = relationship(secondary=rule_assisting)


class CalendarOverride(db.Model):
    """A day the coordinator declares a holiday or a (make-up) working day."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(120), default="")


class CalendarYear(db.Model):
    """A year whose holidays the coordinator has entered completely (e.g. 2027)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)


case_assisting = Table(
    "complaint_assisting",
    db.metadata,
    Column("complaint_id", ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True, index=True),
)


class Pause(db.Model):
    """A stretch of time the clock stood still, waiting for the reporter."""

    __tablename__ = "complaint_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class ExtensionRequest(db.Model):
    """A department asks for more time; the head or coordinator decides."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_members.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    approved: Mapped[Optional[bool]] = mapped_column(Boolean)

    complaint: Mapped[Complaint] = relationship()


class ResponseTemplate(db.Model):
    """A reply staff can start from, per complaint category (or for all)."""

    __tablename__ = "response_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)


class DepartmentMonth(db.Model):
    """One department's cases received in one month (China time), and what became of them.

    A rollup kept by queue.rollup whenever a case changes (never edited by hand): the public
    department pages read these rows instead of aggregating every complaint per request.
    """

    __tablename__ = "department_months"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    accepted_on_time: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    completed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    extended: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    # {working days to completion: cases}, so a median over any run of months is exact.
    completion_days: Mapped[dict] = mapped_column(JSON, default=dict)
