"""The remediation staff pages (/manage/…): plans, milestones with evidence, the three
sign-off steps through the forms, each by its role, refusals next to their fields, targets."""

import io
from datetime import date

import pytest
from fpdf import FPDF
from sqlalchemy import select

from portal.agencies.models import Role
from portal.core.clock import local_today
from portal.extensions import db
from portal.outfalls.history import verify_ledger
from portal.outfalls.models import (
    CategoryL1,
    CategoryL2,
    LedgerEntry,
    Outfall,
    RemediationPlan,
    RemediationStatus,
)
from portal.remediation.models import RemediationDocument, RemediationTarget
from tests import factories as f
from tests.staff import login, staff_member, totp_code

EN = {"Accept-Language": "en"}


def pdf_bytes(text="proof") -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text=text)
    return bytes(doc.output())


def upload(name="proof.pdf", text="proof"):
    return (io.BytesIO(pdf_bytes(text)), name)


@pytest.fixture
def world(seed):
    def make():
        dept = f.department(name="钦州市住房和城乡建设局")
        other = f.department(name="钦州市农业农村局")
        own = f.outfall(department=dept)
        foreign = f.outfall(department=other)
        target = f.outfall(department=dept)
        storm = f.outfall(
            department=dept, category_l1=CategoryL1.YH, category_l2=CategoryL2.yh_storm
        )
        users = {
            "staff": staff_member(Role.staff, username="dept-staff"),
            "head": staff_member(Role.head, username="dept-head"),
            "other": staff_member(Role.staff, username="other-staff"),
            "officer": staff_member(Role.data_officer, username="officer", totp=True),
            "coordinator": staff_member(Role.coordinator, username="coord", totp=True),
        }
        users["staff"].department_id = dept.id
        users["head"].department_id = dept.id
        users["other"].department_id = other.id
        return {
            "own": own.code,
            "foreign": foreign.code,
            "target": target.code,
            "storm": storm.code,
            "dept": dept.id,
        }

    return seed(make)


def _client(app, username):
    client = app.test_client()
    code = totp_code() if username in ("officer", "coord") else None
    login(client, username, code=code)
    return client


def _plan_form(**kw):
    today = local_today()
    values = {
        "category": "regularise",
        "measures": "设置规范化检查井，安装标识牌",
        "deadline": date(today.year + 1, 6, 30).isoformat(),
        "milestones": f"{today.isoformat()} 设置检查井\n{today.isoformat()} 安装标识牌",
        "merge_target": "",
        "transition_until": "",
        "transition_reason": "",
        "responsible_department_id": "",
        "reason": "",
    }
    return values | kw


def _plan(app, code) -> RemediationPlan | None:
    with app.app_context():
        outfall = db.session.scalar(select(Outfall).where(Outfall.code == code))
        plan = outfall.remediation_plan
        if plan is not None:
            plan.milestones  # noqa: B018  (load before the context ends)
        return plan


def test_department_staff_create_a_plan_and_its_history_records_it(app, world):
    staff = _client(app, "dept-staff")
    url = f"/manage/outfalls/{world['own']}/plan"
    assert staff.get(url).status_code == 200
    r = staff.post(url, data=_plan_form(responsible_department_id=str(world["dept"])))
    assert r.status_code == 303, r.get_data(as_text=True)
    plan = _plan(app, world["own"])
    assert plan.status is RemediationStatus.plan_approved
    assert [m.title for m in plan.milestones] == ["安装标识牌", "设置检查井"] or len(
        plan.milestones
    ) == 2
    # A change needs a reason; the refusal keeps what was typed.
    r = staff.post(url, data=_plan_form(measures="改为雨污分流"), headers=EN)
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Say why the plan changes" in page
    assert "改为雨污分流" in page
    r = staff.post(url, data=_plan_form(measures="改为雨污分流", reason="方案调整"))
    assert r.status_code == 303
    with app.app_context():
        actions = db.session.scalars(
            select(LedgerEntry.action)
            .where(LedgerEntry.subject_kind == "plan")
            .order_by(LedgerEntry.id)
        ).all()
        assert actions == ["plan_created", "plan_updated"]
        assert verify_ledger() is None
    history = app.test_client().get(f"/outfalls/{world['own']}/history", headers=EN)
    assert "方案调整" in history.get_data(as_text=True)


def test_refusals_land_next_to_their_fields_all_at_once_and_store_nothing(app, world):
    staff = _client(app, "dept-staff")
    r = staff.post(
        f"/manage/outfalls/{world['own']}/plan",
        data=_plan_form(
            category="merge",
            deadline="",
            milestones="明天 做完",
            transition_until="2027-01-01",
        ),
        headers=EN,
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "start with the due date" in page  # parsing stops before the plan's own rules
    r = staff.post(
        f"/manage/outfalls/{world['own']}/plan",
        data=_plan_form(category="merge", deadline="", transition_until="2027-01-01"),
        headers=EN,
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert page.count('class="field-error"') >= 3  # merge target, deadline, transition reason
    assert "Give the code of the outfall it is merged into." in page
    assert "Give the plan&#39;s deadline." in page or "Give the plan's deadline." in page
    assert "Say why the outfall has a transition period." in page
    assert _plan(app, world["own"]) is None


def test_a_stormwater_outfall_is_not_merged_or_banned_and_the_rule_is_cited(app, world):
    coordinator = _client(app, "coord")
    for category, extra in (("merge", {"merge_target": world["target"]}), ("ban", {})):
        r = coordinator.post(
            f"/manage/outfalls/{world['storm']}/plan",
            data=_plan_form(category=category, **extra),
            headers=EN,
        )
        page = r.get_data(as_text=True)
        assert r.status_code == 400
        assert "A stormwater outfall must not be merged or blocked" in page
        assert app.config["REMEDIATION_STORMWATER_RULE"] in page
    assert _plan(app, world["storm"]) is None
    # Merging an ordinary outfall into one in service is a plan.
    r = coordinator.post(
        f"/manage/outfalls/{world['own']}/plan",
        data=_plan_form(category="merge", merge_target=world["target"].lower()),
    )
    assert r.status_code == 303
    with app.app_context():
        plan = db.session.scalar(
            select(RemediationPlan)
            .join(Outfall, RemediationPlan.outfall_id == Outfall.id)
            .where(Outfall.code == world["own"])
        )
        assert plan.merge_target.code == world["target"]


def test_another_departments_plan_answers_404_and_targets_are_the_coordinators(app, world):
    staff = _client(app, "dept-staff")
    assert staff.get(f"/manage/outfalls/{world['foreign']}/plan").status_code == 404
    assert (
        staff.post(f"/manage/outfalls/{world['foreign']}/plan", data=_plan_form()).status_code
        == 404
    )
    assert staff.get("/manage/targets").status_code == 403
    assert staff.get("/manage/targets/new").status_code == 403
    index = staff.get("/manage/").get_data(as_text=True)
    assert f"/manage/outfalls/{world['own']}/plan" in index


def _done_all(app, client, code):
    plan = _plan(app, code)
    for m in plan.milestones:
        r = client.post(
            f"/manage/outfalls/{code}/plan/milestones/{m.id}/done",
            data={
                f"m{m.id}-done_on": local_today().isoformat(),
                f"m{m.id}-note": "已完成",
                f"m{m.id}-files": upload("evidence.pdf", f"m{m.id}"),
            },
            content_type="multipart/form-data",
        )
        assert r.status_code == 303, r.get_data(as_text=True)


def _step(client, code, action, **fields):
    data = {f"{action}-occurred_on": local_today().isoformat()}
    data |= {f"{action}-{k}": v for k, v in fields.items()}
    return client.post(
        f"/manage/outfalls/{code}/plan/steps/{action}",
        data=data,
        content_type="multipart/form-data",
        headers=EN,
    )


def test_three_roles_sign_an_outfall_off_through_the_forms(app, world):
    staff, head, coordinator = (
        _client(app, "dept-staff"),
        _client(app, "dept-head"),
        _client(app, "coord"),
    )
    code = world["own"]
    assert staff.post(f"/manage/outfalls/{code}/plan", data=_plan_form()).status_code == 303
    # Proof while milestones are open: refused with the rule, nothing stored.
    r = _step(staff, code, "submit", files=upload())
    assert r.status_code == 400
    assert "Every milestone must be done before proof is submitted." in r.get_data(as_text=True)
    # A milestone without evidence is refused next to the files.
    m = _plan(app, code).milestones[0]
    r = staff.post(
        f"/manage/outfalls/{code}/plan/milestones/{m.id}/done",
        data={f"m{m.id}-done_on": local_today().isoformat(), f"m{m.id}-note": "已完成"},
        headers=EN,
    )
    assert r.status_code == 400 and "Attach at least one document or photo" in r.get_data(
        as_text=True
    )
    assert 'value="已完成"' in r.get_data(as_text=True) or "已完成" in r.get_data(as_text=True)
    _done_all(app, staff, code)
    r = _step(staff, code, "submit")  # no document
    assert r.status_code == 400 and "Attach at least one document" in r.get_data(as_text=True)
    assert _step(staff, code, "submit", files=upload()).status_code == 303
    # Whoever submitted does not confirm; the coordinator is not the department.
    r = _step(
        staff, code, "confirm", document_number="X", document_date="2026-01-01", files=upload()
    )
    assert r.status_code == 400
    assert "Someone else must take this step" in r.get_data(as_text=True)
    r = _step(head, code, "confirm", document_number="", files=upload())
    assert r.status_code == 400 and "confirmation document" in r.get_data(as_text=True)
    r = _step(head, code, "dept_return")
    assert r.status_code == 400 and "Say why it is returned." in r.get_data(as_text=True)
    r = _step(
        head,
        code,
        "confirm",
        document_number="钦住建函〔2026〕9号",
        document_date=local_today().isoformat(),
        files=upload("confirmation.pdf"),
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    assert _plan(app, code).status is RemediationStatus.dept_confirmed
    # The department does not approve; the coordinator does.
    assert _step(head, code, "approve").status_code == 400
    assert _step(coordinator, code, "approve").status_code == 303
    plan = _plan(app, code)
    assert plan.status is RemediationStatus.closed and plan.signed_off_on == local_today()
    # The public page now lists the step documents, which anyone may open.
    page = app.test_client().get(f"/outfalls/{code}", headers=EN).get_data(as_text=True)
    assert "钦住建函〔2026〕9号" in page and "/confirmation.pdf" in page
    with app.app_context():
        docs = db.session.scalars(
            select(RemediationDocument).where(RemediationDocument.step_id.is_not(None))
        ).all()
        assert len(docs) == 2
        assert verify_ledger() is None
    for doc in docs:
        with app.test_client().get(f"/remediation/documents/{doc.id}/{doc.filename}") as r:
            assert r.status_code == 200 and r.data.startswith(b"%PDF-")
    # Once signed off the plan does not change any more.
    r = staff.post(f"/manage/outfalls/{code}/plan", data=_plan_form(reason="再改"), headers=EN)
    assert r.status_code == 400 and "cannot change" in r.get_data(as_text=True)


def test_staff_read_their_plans_documents_before_sign_off_others_get_404(app, world):
    staff = _client(app, "dept-staff")
    code = world["own"]
    staff.post(f"/manage/outfalls/{code}/plan", data=_plan_form())
    _done_all(app, staff, code)
    with app.app_context():
        doc = db.session.scalars(select(RemediationDocument)).first()
    with staff.get(f"/manage/outfalls/{code}/plan/documents/{doc.id}") as r:
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert (
        app.test_client().get(f"/remediation/documents/{doc.id}/{doc.filename}").status_code == 404
    )
    other = _client(app, "other-staff")
    assert other.get(f"/manage/outfalls/{code}/plan/documents/{doc.id}").status_code == 404
    assert (
        staff.get(f"/manage/outfalls/{world['foreign']}/plan/documents/{doc.id}").status_code == 404
    )


def test_the_coordinator_keeps_the_targets_and_progress_shows_them(app, world):
    coordinator = _client(app, "coord")
    assert coordinator.get("/manage/targets").status_code == 200
    r = coordinator.post(
        "/manage/targets/new",
        data={"due_on": "2027-12-31", "percent": "150", "region_id": "", "source": ""},
        headers=EN,
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "A share from 1 to 100 per cent." in page
    assert "Cite the source document" in page
    r = coordinator.post(
        "/manage/targets/new",
        data={"due_on": "2027-12-31", "percent": "90", "region_id": "", "source": "测试文件（二）"},
    )
    assert r.status_code == 303
    with app.app_context():
        target = db.session.scalars(select(RemediationTarget)).one()
        assert (target.percent, target.source) == (90, "测试文件（二）")
    r = coordinator.post(
        f"/manage/targets/{target.id}/edit",
        data={"due_on": "2027-12-31", "percent": "95", "region_id": "", "source": "测试文件（二）"},
    )
    assert r.status_code == 303
    assert "测试文件（二）" in app.test_client().get("/progress").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(RemediationTarget, target.id).percent == 95
        assert verify_ledger() is None


def test_a_milestone_done_twice_is_refused_with_the_reason(app, world):
    staff = _client(app, "dept-staff")
    code = world["own"]
    staff.post(f"/manage/outfalls/{code}/plan", data=_plan_form())
    _done_all(app, staff, code)
    m = _plan(app, code).milestones[0]
    r = staff.post(
        f"/manage/outfalls/{code}/plan/milestones/{m.id}/done",
        data={f"m{m.id}-done_on": local_today().isoformat(), f"m{m.id}-files": upload()},
        content_type="multipart/form-data",
        headers=EN,
    )
    assert r.status_code == 400
    assert "This milestone is already done." in r.get_data(as_text=True)
