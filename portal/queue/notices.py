"""What the queue tells people: emails to departments, escalations, updates to reporters.

Everything goes through the outbox (`notify`), in the same transaction as the change it
announces: a rolled-back action sends nothing.
"""

from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..agencies.models import Department, Role, StaffMember
from ..complaints.labels import COMPLAINT_STATUS
from ..complaints.models import Complaint, Reporter
from ..extensions import db
from ..notify import services as notify
from ..urls import public_url


def _staff_emails(department_id: int | None, roles) -> list[str]:
    query = select(StaffMember.email).where(
        StaffMember.active, StaffMember.role.in_(list(roles)), StaffMember.email != ""
    )
    if department_id is not None:
        query = query.where(StaffMember.department_id == department_id)
    return list(dict.fromkeys(db.session.scalars(query)))


def _coordinator_department() -> Department | None:
    return db.session.scalars(select(Department).where(Department.is_coordinator)).first()


def _case_link(complaint: Complaint) -> str:
    return public_url("queue.show_case", complaint_id=complaint.id)


def notify_department(department_id, complaint: Complaint, kind: str, now: datetime) -> None:
    """Email a department's address (the coordinator's for triage) about a case."""
    department = (
        db.session.get(Department, department_id) if department_id else _coordinator_department()
    )
    if department is None or not department.email:
        return
    with force_locale("zh"):
        subjects = {
            "assigned": _("New case %(number)s for your department", number=complaint.tracking_no),
            "transferred": _(
                "Case %(number)s transferred to your department", number=complaint.tracking_no
            ),
            "due_soon": _("Case %(number)s is due tomorrow", number=complaint.tracking_no),
            "reopened": _(
                "Case %(number)s was reopened by the reporter", number=complaint.tracking_no
            ),
        }
        body = render_template(
            "email/case_for_department.txt",
            complaint=complaint,
            kind=kind,
            link=_case_link(complaint),
        )
        notify.enqueue_email(db.session, department.email, subjects[kind], body, now)


def notify_escalation(complaint: Complaint, now: datetime) -> None:
    """At breach: tell the department head and the coordinator (督办)."""
    recipients = _staff_emails(complaint.department_id, [Role.head]) + _staff_emails(
        None, [Role.coordinator]
    )
    coordinator = _coordinator_department()
    if coordinator is not None and coordinator.email:
        recipients.append(coordinator.email)
    with force_locale("zh"):
        subject = _("Overdue: case %(number)s (督办)", number=complaint.tracking_no)
        body = render_template(
            "email/case_for_department.txt",
            complaint=complaint,
            kind="escalated",
            link=_case_link(complaint),
        )
        for address in dict.fromkeys(recipients):
            notify.enqueue_email(db.session, address, subject, body, now)


def notify_reporter(
    complaint: Complaint, kind: str, now: datetime, *, message: str = "", other=None
) -> None:
    """Tell a named reporter what happened, in the language they reported in."""
    reporter = db.session.get(Reporter, complaint.id)
    if reporter is None or reporter.anonymous:
        return
    with force_locale(reporter.locale or "zh"):
        subject = _("Update on your report %(number)s", number=complaint.tracking_no)
        if reporter.email:
            body = render_template(
                "email/case_update.txt",
                complaint=complaint,
                kind=kind,
                message=message,
                other=other,
            )
            notify.enqueue_email(db.session, reporter.email, subject, body, now)
        if reporter.phone:
            notify.enqueue_sms(
                db.session,
                reporter.phone,
                _(
                    "Report %(number)s: %(status)s. Details on the portal with your number.",
                    number=complaint.tracking_no,
                    status=str(COMPLAINT_STATUS[complaint.status.value]),
                ),
                now,
            )
