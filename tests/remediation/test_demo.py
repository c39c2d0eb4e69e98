"""The demo's remediation obeys the rules: steps in order by their departments, no milestone
done after proof, documents marked 演示, targets with their source, progress honest."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.core.storage import FileStore
from portal.demo.qinzhou import load_demo
from portal.extensions import db
from portal.outfalls.models import RemediationPlan, RemediationStatus
from portal.remediation.figures import progress
from portal.remediation.models import RemediationTarget, SignoffStep
from portal.remediation.signoff import Action

TODAY = date(2025, 3, 1)


def test_demo_plans_follow_the_rules(app, tmp_path):
    with app.app_context():
        load_demo(db.session, FileStore(tmp_path / "up"), TODAY)
        db.session.commit()
        steps: dict[int, list[SignoffStep]] = {}
        for step in db.session.scalars(select(SignoffStep).order_by(SignoffStep.id)):
            steps.setdefault(step.plan_id, []).append(step)
        plans = db.session.scalars(
            select(RemediationPlan).options(selectinload(RemediationPlan.milestones))
        ).all()
        signed = 0
        for plan in plans:
            assert plan.identified_on is not None
            mine = steps.get(plan.id, [])
            if plan.status is RemediationStatus.closed:
                signed += 1
                assert [s.action for s in mine] == [Action.submit, Action.confirm, Action.approve]
            if mine:
                proof = mine[0].occurred_on
                assert all(m.done_on is not None and m.done_on <= proof for m in plan.milestones)
                assert [s.occurred_on for s in mine] == sorted(s.occurred_on for s in mine)
                assert plan.status is not RemediationStatus.eee_approved
        assert signed > 0
        sources = {t.source for t in db.session.scalars(select(RemediationTarget))}
        assert sources == {"钦政办〔2022〕28号 （二）工作目标"}
        figures = progress("region", {"type": {}, "kind": {}}, TODAY)
        end_2024 = [r for t, r in figures.targets if t.due_on == date(2024, 12, 31)][0]
        assert not end_2024.met  # honest: the demo is behind its end-2024 target
