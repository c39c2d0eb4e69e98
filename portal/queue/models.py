"""Queue tables: routing rules, calendar overrides, pauses, extensions, reply templates."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agencies.models import Department
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


class ResponseTemplate(db.Model):
    """A reply staff can start from, per complaint category (or for all)."""

    __tablename__ = "response_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
