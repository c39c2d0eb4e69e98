"""`flask portal tick` warns and escalates overdue plans once per deadline."""

from datetime import date, timedelta

from sqlalchemy import select

from portal.agencies.models import Role
from portal.core.clock import local_today
from portal.extensions import db
from portal.notify.models import OutboxMessage
from tests import factories as f
from tests.staff import staff_member


def _plans():
    dept = f.department(email="dept@example.org")
    head = staff_member(Role.head, email="head@example.org")
    head.department_id = dept.id
    staff_member(Role.coordinator, totp=True, email="coord@example.org")
    today = local_today()
    f.plan(f.outfall(department=dept), deadline=today - timedelta(days=3))
    f.plan(f.outfall(department=dept), deadline=today + timedelta(days=10))
    f.plan(f.outfall(department=dept), deadline=date(2099, 1, 1))


def test_tick_warns_and_escalates_once(runner, seed, app):
    seed(_plans)
    result = runner.invoke(args=["portal", "tick"])
    assert "1 plans warned, 1 escalated" in result.output, result.output
    with app.app_context():
        subjects = list(db.session.scalars(select(OutboxMessage.subject)))
        recipients = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert any("督办" in s for s in subjects)
    assert {"dept@example.org", "head@example.org", "coord@example.org"} <= recipients
    again = runner.invoke(args=["portal", "tick"])
    assert "0 plans warned, 0 escalated" in again.output
    rebuilt = runner.invoke(args=["portal", "remediation-rollup"])
    assert "progress rows written" in rebuilt.output
