"""The tick's remediation part: overdue plans warned and escalated (督办), the rollup rebuilt.

A plan whose deadline is within 30 days is warned to its supervising department once per
deadline; a plan past its deadline and not signed off is escalated to the department's head
and the coordinators once per deadline (a new deadline resets both).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..agencies.models import Role
from ..core.clock import utcnow
from ..extensions import db
from ..notify import services as notify
from ..outfalls.models import DONE_REMEDIATION, RemediationPlan
from . import rollup
from .services import staff_emails

WARN_BEFORE = timedelta(days=30)


@dataclass
class RemediationTick:
    warned: int = 0
    escalated: int = 0
    rollup_rows: int = 0


def _open_plans(batch: int, *conditions) -> list[RemediationPlan]:
    return list(
        db.session.scalars(
            select(RemediationPlan)
            .where(
                RemediationPlan.status.not_in(list(DONE_REMEDIATION)),
                RemediationPlan.deadline.is_not(None),
                *conditions,
            )
            .options(joinedload(RemediationPlan.outfall))
            .limit(batch)
        )
    )


def _send(addresses: list[str], subject: str, body: str) -> None:
    now = utcnow()
    for address in dict.fromkeys(addresses):
        notify.enqueue_email(db.session, address, subject, body, now)


def tick(today: date, *, batch: int = 500) -> RemediationTick:
    report = RemediationTick()
    due_soon = _open_plans(
        batch,
        RemediationPlan.deadline >= today,
        RemediationPlan.deadline <= today + WARN_BEFORE,
        or_(
            RemediationPlan.warned_for.is_(None),
            RemediationPlan.warned_for != RemediationPlan.deadline,
        ),
    )
    overdue = _open_plans(
        batch,
        RemediationPlan.deadline < today,
        or_(
            RemediationPlan.escalated_for.is_(None),
            RemediationPlan.escalated_for != RemediationPlan.deadline,
        ),
    )
    with force_locale("zh"):
        for plan in due_soon:
            plan.warned_for = plan.deadline
            dept = plan.outfall.supervising_department_id
            _send(
                staff_emails(dept, [Role.staff, Role.head]) if dept else [],
                _("Remediation of outfall %(code)s is due soon", code=plan.outfall.code),
                _(
                    "The remediation plan of %(name)s (%(code)s) is due on %(date)s.",
                    name=plan.outfall.name,
                    code=plan.outfall.code,
                    date=plan.deadline.isoformat(),
                ),
            )
            report.warned += 1
        for plan in overdue:
            plan.escalated_for = plan.deadline
            dept = plan.outfall.supervising_department_id
            recipients = (staff_emails(dept, [Role.head]) if dept else []) + staff_emails(
                None, [Role.coordinator]
            )
            _send(
                recipients,
                _("Overdue: remediation of outfall %(code)s (督办)", code=plan.outfall.code),
                _(
                    "The remediation plan of %(name)s (%(code)s) was due on %(date)s "
                    "and is not signed off.",
                    name=plan.outfall.name,
                    code=plan.outfall.code,
                    date=plan.deadline.isoformat(),
                ),
            )
            report.escalated += 1
    report.rollup_rows = rollup.rebuild()
    return report
