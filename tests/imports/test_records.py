"""The decision and the plan a sheet row names (审批文号/审批日期, 整治类型/整治时限/整治状态):
published, created or changed through the approvals' and plans' own rules, on SQLite and
PostgreSQL; what only their pages may do is refused cell by cell."""

from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.imports.service import run
from portal.outfalls.models import (
    Approval,
    ApprovalKind,
    ApprovalState,
    LedgerEntry,
    Outfall,
    RemediationCategory,
    RemediationPlan,
    RemediationStatus,
)
from portal.remediation.models import RemediationTarget
from tests import factories as f

HEADER = [
    "排污口编码",
    "排污口名称",
    "排污口类型",
    "入河/入海",
    "经度",
    "纬度",
    "所在行政区",
    "受纳水体",
    "审批（登记、备案）文号",
    "审批日期",
    "整治类型",
    "整治时限",
    "整治状态",
]


@pytest.fixture
def place(app_ctx):
    region = f.region(code="450702", name="钦南区")
    f.water_body(name="钦江", code="QJ01")
    f.water_body(name="钦州湾", code="QZW", kind="sea")
    f.department(name="钦州市生态环境局", is_coordinator=True)
    db.session.commit()
    return region


def _sheet(path, rows):
    wb = openpyxl.Workbook()
    wb.active.append(HEADER)
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def _row(n, *, type_="GY", kind="入河", water="钦江", no="", on="", cat="", due="", status=""):
    return [
        f"QJ01450702{type_}{n:04d}",
        f"测试排污口{n}",
        type_,
        kind,
        108.62,
        21.95 + n / 1000,
        "钦南区",
        water,
        no,
        on,
        cat,
        due,
        status,
    ]


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def _outfall(n, type_="GY") -> Outfall:
    return db.session.scalars(
        select(Outfall).where(Outfall.code == f"QJ01450702{type_}{n:04d}")
    ).one()


def test_new_outfalls_get_their_decision_and_plan(place, tmp_path):
    rows = [
        _row(1, no="钦环审〔2023〕12号", on="2023年5月1日", cat="规范整治", due="2026-12-31"),
        _row(2, type_="SH", kind="入海", water="钦州湾", no="钦海备〔2022〕3号", on="2022/3/1"),
        _row(3, type_="QT", cat="保留", status="保留"),
    ]
    path = _sheet(tmp_path / "台账.xlsx", rows)
    dry = run(path, path.name, apply=False)
    db.session.rollback()
    assert [o.status for o in dry.outcomes] == ["created"] * 3
    # The report says what a new outfall comes with, as for an updated one.
    assert dry.outcomes[0].changes == [
        {"field": "approval_no", "old": "", "new": "钦环审〔2023〕12号"},
        {"field": "remediation_category", "old": "", "new": "规范整治"},
    ]
    assert db.session.scalar(select(func.count()).select_from(Approval)) == 0
    report = run(path, path.name, apply=True)
    db.session.commit()
    assert [o.status for o in report.outcomes] == ["created"] * 3, [
        o.messages for o in report.outcomes
    ]
    first = _outfall(1)
    (approval,) = first.approvals
    assert (approval.kind, approval.decision_no, approval.decided_on) == (
        ApprovalKind.approval,
        "钦环审〔2023〕12号",
        date(2023, 5, 1),
    )
    assert approval.authority == "钦州市生态环境局"  # the coordinator, when the sheet is silent
    assert approval.state is ApprovalState.current
    plan = first.remediation_plan
    assert (plan.category, plan.status, plan.deadline) == (
        RemediationCategory.regularise,
        RemediationStatus.plan_approved,
        date(2026, 12, 31),
    )
    assert [e.status for e in plan.events] == [RemediationStatus.plan_approved]
    assert _outfall(2, "SH").approvals[0].kind is ApprovalKind.filing  # a sea outfall is filed
    assert _outfall(3, "QT").remediation_plan.status is RemediationStatus.retained
    # Each step on the outfall's public history, the file named as the reason.
    actions = db.session.scalars(
        select(LedgerEntry.action)
        .where(LedgerEntry.outfall_id == first.id)
        .order_by(LedgerEntry.seq)
    ).all()
    assert actions == ["created", "approval_created", "plan_created"]
    reasons = set(
        db.session.scalars(select(LedgerEntry.reason).where(LedgerEntry.outfall_id == first.id))
    )
    assert reasons == {"台账.xlsx"}
    # The same file again changes nothing.
    entries = _entries()
    again = run(path, path.name, apply=True)
    db.session.commit()
    assert {o.status for o in again.outcomes} == {"unchanged"}
    assert _entries() == entries


def test_existing_outfall_gets_a_decision_and_a_changed_category(place, tmp_path):
    path = _sheet(tmp_path / "a.xlsx", [_row(1, cat="规范整治", due="2026-06-30")])
    run(path, path.name, apply=True)
    db.session.commit()
    later = _sheet(tmp_path / "b.xlsx", [_row(1, no="钦环审〔2024〕7号", on=45292, cat="依法取缔")])
    report = run(later, later.name, apply=True)
    db.session.commit()
    (outcome,) = report.outcomes
    assert outcome.status == "updated", outcome.messages
    fields = {c["field"] for c in outcome.changes}
    assert fields == {"approval_no", "remediation_category"}
    outfall = _outfall(1)
    assert outfall.approvals[0].decided_on == date(2024, 1, 1)  # an Excel serial
    assert outfall.remediation_plan.category is RemediationCategory.ban
    assert outfall.remediation_plan.deadline == date(2026, 6, 30)  # kept: the cell was blank


def test_deadline_defaults_to_the_next_target_and_is_asked_without_one(place, tmp_path):
    path = _sheet(tmp_path / "a.xlsx", [_row(1, cat="规范整治")])
    report = run(path, path.name, apply=False)
    db.session.rollback()
    (outcome,) = report.outcomes
    assert outcome.status == "refused"
    assert outcome.messages[0][0] == "L2"  # 整治时限
    db.session.add(RemediationTarget(due_on=date(2099, 12, 31), percent=80, source="方案"))
    db.session.add(RemediationTarget(due_on=date(2000, 1, 1), percent=10, source="旧方案"))
    db.session.commit()
    run(path, path.name, apply=True)
    db.session.commit()
    assert _outfall(1).remediation_plan.deadline == date(2099, 12, 31)


def test_what_only_the_pages_may_do_is_refused_cell_by_cell(place, tmp_path):
    first = _sheet(tmp_path / "a.xlsx", [_row(1, no="钦环审〔2023〕12号", on="2023-05-01")])
    run(first, first.name, apply=True)
    db.session.commit()
    rows = [
        # Another number while a decision is current: corrected or superseded on its page.
        _row(1, no="钦环审〔2024〕1号", on="2024-01-01"),
        # A stormwater outfall is never banned or merged (the plans' own rule).
        _row(2, type_="YH", cat="依法取缔", due="2026-12-31"),
        # A merge names the outfall merged into, which a sheet cannot.
        _row(3, cat="清理合并", due="2026-12-31"),
        _row(4, no="钦环审〔2024〕2号"),  # a number without its date
        _row(5, on="2024-01-01"),  # a date without its number
        _row(6, no="钦环审〔2030〕1号", on="2030-01-01"),  # a decision in the future
        _row(7, cat="整改"),  # not a category
        _row(8, status="已排查"),  # a status without a plan
    ]
    path = _sheet(tmp_path / "b.xlsx", rows)
    entries = _entries()
    report = run(path, path.name, apply=True)
    db.session.rollback()
    assert [o.status for o in report.outcomes] == ["refused"] * len(rows)
    cells = [o.messages[0][0][0] for o in report.outcomes]
    #        I: 文号, J: 日期, K: 整治类型, M: 整治状态
    assert cells == ["I", "K", "K", "J", "I", "J", "K", "M"], [o.messages for o in report.outcomes]
    assert "钦环审〔2023〕12号" in report.outcomes[0].messages[0][1]
    assert (
        "雨洪" in report.outcomes[1].messages[0][1]
        or "stormwater" in (report.outcomes[1].messages[0][1])
    )
    assert _entries() == entries
    assert db.session.scalar(select(func.count()).select_from(RemediationPlan)) == 0


def test_a_status_the_portal_does_not_have_is_noted_not_written(place, tmp_path):
    path = _sheet(tmp_path / "a.xlsx", [_row(1, cat="规范整治", due="2026-12-31", status="已销号")])
    report = run(path, path.name, apply=True)
    db.session.commit()
    (outcome,) = report.outcomes
    assert outcome.status == "created"
    assert [n.kind for key, n in outcome.notes if key == "remediation_status"] == ["plan_status"]
    assert _outfall(1).remediation_plan.status is RemediationStatus.plan_approved


def test_an_outfall_without_plan_gets_one_from_a_later_sheet(place, tmp_path):
    path = _sheet(tmp_path / "a.xlsx", [_row(1)])
    run(path, path.name, apply=True)
    db.session.commit()
    assert _outfall(1).remediation_plan is None
    db.session.expunge_all()
    later = _sheet(tmp_path / "b.xlsx", [_row(1, cat="保留", status="保留")])
    report = run(later, later.name, apply=True)
    db.session.commit()
    (outcome,) = report.outcomes
    assert outcome.status == "updated"
    assert outcome.changes == [{"field": "remediation_category", "old": "", "new": "保留"}]
    assert _outfall(1).remediation_plan.status is RemediationStatus.retained


def test_deadlines_written_as_the_plans_write_them(place, tmp_path):
    rows = [
        _row(1, cat="规范整治", due="2027年底前"),
        _row(2, cat="规范整治", due="2027年6月底前"),
        _row(3, cat="规范整治", due="2027年3月15日前"),
        _row(4, cat="规范整治", due="2027年13月底"),
    ]
    path = _sheet(tmp_path / "台账.xlsx", rows)
    report = run(path, path.name, apply=False)
    db.session.rollback()
    assert [o.status for o in report.outcomes] == ["created"] * 3 + ["refused"]
    assert report.outcomes[3].messages[0][0] == "L5"  # 整治时限 of the impossible month
    notes = [
        [(note.old, note.new) for key, note in o.notes if note.kind == "deadline"]
        for o in report.outcomes[:3]
    ]
    assert notes == [
        [("2027年底前", "2027-12-31")],
        [("2027年6月底前", "2027-06-30")],
        [("2027年3月15日前", "2027-03-15")],
    ]
    run(_sheet(tmp_path / "ok.xlsx", rows[:3]), "ok.xlsx", apply=True)
    db.session.commit()
    assert [_outfall(n).remediation_plan.deadline for n in (1, 2, 3)] == [
        date(2027, 12, 31),
        date(2027, 6, 30),
        date(2027, 3, 15),
    ]


def test_types_and_kinds_in_the_surveys_other_writings(place, tmp_path):
    rows = [_row(1, type_="QT"), _row(2, type_="SH"), _row(3, type_="GY")]
    rows[0][2:4] = ["其它排口", "入河排污口"]
    rows[1][2:4] = ["城镇污水处理厂排口", "入河排口"]
    rows[2][2] = "污水口"
    report = run(_sheet(tmp_path / "台账.xlsx", rows), "台账.xlsx", apply=False)
    assert [o.status for o in report.outcomes] == ["created", "created", "refused"]
    ((cell, text),) = report.outcomes[2].messages
    assert cell == "C4" and "污水口" in text and "GY" in text
