"""Public accountability: each department's record, month by month (no personal data)."""

from dataclasses import dataclass

from flask import Blueprint, abort, render_template
from sqlalchemy import case, func, select

from ..agencies.models import Department
from ..caching import public
from ..complaints.models import Complaint, ComplaintEvent
from ..extensions import db

bp = Blueprint("departments", __name__, url_prefix="/departments")


def _month(column):
    """'YYYY-MM' of a timestamp in China time, on SQLite and PostgreSQL alike."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


@dataclass
class Month:
    month: str
    received: int
    accepted_on_time: int
    accepted: int
    completed_on_time: int
    completed: int
    extended: int
    reopened: int
    rated: int
    satisfaction: float | None

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None


def scorecard(department_id: int) -> list[Month]:
    """Received, on-time acceptance and completion, extensions, reopenings, satisfaction."""
    month = _month(Complaint.created_at).label("month")
    disputed = (
        select(ComplaintEvent.complaint_id)
        .where(ComplaintEvent.kind == "disputed")
        .distinct()
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            month,
            func.count(),
            func.sum(case((Complaint.accepted_at <= Complaint.accept_due_at, 1), else_=0)),
            func.count(Complaint.accepted_at),
            func.sum(case((Complaint.resolved_at <= Complaint.complete_due_at, 1), else_=0)),
            func.count(Complaint.resolved_at),
            func.sum(case((Complaint.extension_days > 0, 1), else_=0)),
            func.sum(case((Complaint.id.in_(disputed), 1), else_=0)),
            func.count(Complaint.rating),
            func.avg(Complaint.rating),
        )
        .where(Complaint.department_id == department_id, Complaint.merged_into_id.is_(None))
        .group_by(month)
        .order_by(month.desc())
        .limit(24)
    ).all()
    return [
        Month(
            m,
            n,
            int(aot or 0),
            acc,
            int(cot or 0),
            comp,
            int(ext or 0),
            int(reo or 0),
            rated,
            float(avg) if avg is not None else None,
        )
        for m, n, aot, acc, cot, comp, ext, reo, rated, avg in rows
    ]


@bp.get("/")
@public
def list_departments():
    """Every department, with links to its record."""
    departments = db.session.scalars(select(Department).order_by(Department.id)).all()
    return render_template("departments/list_departments.html", departments=departments)


@bp.get("/<int:department_id>")
@public
def show_department(department_id: int):
    """One department's public scorecard."""
    department = db.session.get(Department, department_id)
    if department is None:
        abort(404)
    months = scorecard(department_id)
    totals = Month(
        "",
        *[
            sum(getattr(m, f) for m in months)
            for f in (
                "received",
                "accepted_on_time",
                "accepted",
                "completed_on_time",
                "completed",
                "extended",
                "reopened",
                "rated",
            )
        ],
        satisfaction=None,
    )
    rated = [m for m in months if m.satisfaction is not None]
    if rated:
        totals.satisfaction = sum(m.satisfaction * m.rated for m in rated) / sum(
            m.rated for m in rated
        )
    return render_template(
        "departments/show_department.html", department=department, months=months, totals=totals
    )
