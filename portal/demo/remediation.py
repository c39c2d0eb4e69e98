"""The demo's sign-off steps, their documents (marked 演示) and Qinzhou's targets.

Runs after the Qinzhou builder: every plan gets its identified date (the targets'
denominator) from its "identified" event; every plan that reached the sign-off has its steps
in order, each by the department whose step it is, with a generated document clearly marked
as demo data; no milestone is done after the proof was submitted. Demo plans resting in
"approved by the bureau" are shown as awaiting that review (the workflow signs off at once).
"""

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..agencies.models import Department
from ..core.storage import FileStore
from ..outfalls.models import RemediationCategory, RemediationPlan, RemediationStatus
from ..remediation.models import DocumentKind, RemediationDocument, RemediationTarget, SignoffStep
from ..remediation.signoff import Action
from .documents import DocumentText, render_documents

S = RemediationStatus
# 钦政办〔2022〕28号 §（二）工作目标: 30 % by end-2023, 70 % by end-2024, basically all by end-2025.
QINZHOU_SOURCE = "钦政办〔2022〕28号 （二）工作目标"
QINZHOU_TARGETS = ((date(2023, 12, 31), 30), (date(2024, 12, 31), 70), (date(2025, 12, 31), 100))
PROOF = DocumentText(
    heading="演示数据 DEMO DATA",
    title="排污口整治完成证明材料（演示）",
    lines=(
        "整治措施已按一口一策方案全部完成，现场照片及验收记录附后。",
        "本材料由监管部门代责任主体提交。",
    ),
    english=("Proof of remediation (demo).",),
)
CONFIRMATION = DocumentText(
    heading="演示数据 DEMO DATA",
    title="排污口整治情况确认函（演示）",
    lines=("经现场核查，该排污口整治措施已落实，同意提请销号。",),
    english=("Formal confirmation of the supervising department (demo).",),
)


def _first(plan: RemediationPlan, status: RemediationStatus) -> date | None:
    return next((e.occurred_on for e in plan.events if e.status is status), None)


def load_remediation(session, store: FileStore | None, today: date) -> None:
    for due, percent in QINZHOU_TARGETS:
        session.add(
            RemediationTarget(due_on=due, percent=percent, source=QINZHOU_SOURCE, is_demo=True)
        )
    coordinator = session.scalars(select(Department.id).where(Department.is_coordinator)).first()
    digests = {}
    if store is not None:
        created = datetime(today.year, 1, 1, tzinfo=UTC)
        for key, data in zip(
            ("proof", "confirmation"), render_documents([PROOF, CONFIRMATION], created), strict=True
        ):
            digests[key] = (store.put(data), len(data))
    plans = session.scalars(
        select(RemediationPlan).options(
            selectinload(RemediationPlan.events),
            selectinload(RemediationPlan.milestones),
            joinedload(RemediationPlan.outfall),
        )
    ).all()
    serial = 0
    for plan in plans:
        plan.identified_on = _first(plan, S.identified)
        if plan.category is RemediationCategory.retain:
            continue
        submitted = _first(plan, S.signoff_submitted)
        if submitted is None:
            continue
        if plan.status is S.eee_approved:
            plan.status = S.dept_confirmed
            plan.events = [e for e in plan.events if e.status is not S.eee_approved]
        for milestone in plan.milestones:
            if milestone.done_on is None or milestone.done_on > submitted:
                milestone.done_on = min(submitted, max(milestone.due_on, submitted))
        dept = plan.outfall.supervising_department_id
        steps = [(Action.submit, submitted, dept, "proof")]
        confirmed = _first(plan, S.dept_confirmed)
        if confirmed is not None:
            steps.append((Action.confirm, confirmed, dept, "confirmation"))
        approved = _first(plan, S.eee_approved) or plan.signed_off_on
        if plan.status is S.closed and approved is not None:
            steps.append((Action.approve, approved, coordinator, None))
        for action, on, department_id, doc in steps:
            serial += 1
            step = SignoffStep(
                plan_id=plan.id,
                action=action,
                occurred_on=on,
                department_id=department_id,
                document_number=f"演示确〔{on.year}〕{serial}号"
                if action is Action.confirm
                else "",
                document_date=on if action is Action.confirm else None,
            )
            session.add(step)
            if doc and doc in digests:
                sha, size = digests[doc]
                session.add(
                    RemediationDocument(
                        plan_id=plan.id,
                        step=step,
                        kind=DocumentKind.pdf,
                        title=(PROOF if doc == "proof" else CONFIRMATION).title,
                        filename=f"{doc}-{plan.outfall.code}.pdf",
                        content_type="application/pdf",
                        size=size,
                        sha256=sha,
                        is_demo=True,
                    )
                )
    session.flush()
