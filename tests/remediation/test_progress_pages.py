"""/progress and /progress/overdue on SQLite and PostgreSQL: the matrix's numbers equal the
list filter's counts, targets are judged at their dates, the home page is honest."""

import re
from datetime import date

from portal.outfalls.models import RemediationCategory, RemediationStatus
from portal.remediation.models import RemediationTarget
from tests import factories as f


def _world():
    region = f.region(code="450702", name="钦南区")
    water = f.water_body()
    for status, signed in (
        (RemediationStatus.closed, date(2023, 6, 1)),
        (RemediationStatus.closed, date(2024, 6, 1)),
        (RemediationStatus.retained, None),
        (RemediationStatus.remediating, None),
    ):
        o = f.outfall(region=region, water_body=water)
        category = (
            RemediationCategory.retain
            if status is RemediationStatus.retained
            else RemediationCategory.regularise
        )
        f.plan(
            o,
            status=status,
            category=category,
            signed_off_on=signed,
            identified_on=date(2023, 1, 1),
            deadline=date(2024, 1, 31),
        )
    f.outfall(region=region, water_body=water)  # no plan yet
    f._add(RemediationTarget(due_on=date(2023, 12, 31), percent=30, source="钦政办〔2022〕28号"))
    f._add(RemediationTarget(due_on=date(2024, 12, 31), percent=70, source="钦政办〔2022〕28号"))


def test_matrix_counts_equal_the_list_filter(client, seed):
    seed(_world)
    page = client.get("/progress").get_data(as_text=True)
    links = re.findall(r'href="(/outfalls/\?[^"]+)" data-count="(\d+)"', page)
    assert links
    for href, count in links:
        listed = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        total = re.search(r'<p class="muted">(\d+)', listed)
        assert total is not None and total.group(1) == count, href
    assert "钦政办〔2022〕28号" in page


def test_targets_and_overdue(client, seed):
    seed(_world)
    page = client.get("/progress").get_data(as_text=True)
    # Four identified on 2023-01-01 (the fifth, without a plan, on its creation day: today).
    # End-2023: 1 signed off, 30 % of 4 needs 2: short by 1. End-2024: 2, 70 % needs 3: 1.
    assert re.findall(r'data-shortfall="(\d+)"', page) == ["1", "1"]
    overdue = client.get("/progress/overdue")
    assert overdue.status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert "/progress/overdue" in home


def _signed_off_outfall():
    from portal.agencies.models import Role
    from portal.extensions import db
    from portal.remediation.services import StepForm, complete_milestone, take_step
    from portal.remediation.signoff import Action
    from tests.remediation.test_steps import pdf
    from tests.staff import staff_member

    today = date(2025, 6, 1)
    dept = f.department()
    outfall = f.outfall(department=dept)
    plan = f.plan(outfall, identified_on=date(2024, 1, 1))
    staff = staff_member(Role.staff)
    staff.department_id = dept.id
    head = staff_member(Role.head)
    head.department_id = dept.id
    coordinator = staff_member(Role.coordinator, totp=True)
    db.session.flush()
    complete_milestone(staff, plan, plan.milestones[0], today, "", [pdf("m.pdf")], today)
    take_step(staff, plan, Action.submit, StepForm(today, uploads=[pdf("proof.pdf")]), today)
    db.session.commit()
    confirm = StepForm(today, document_number="钦确〔2025〕1号", document_date=today)
    confirm.uploads = [pdf("confirm.pdf")]
    return outfall.code, plan.id, head.id, coordinator.id, confirm


def test_documents_are_public_after_sign_off(client, seed, app):
    from portal.agencies.models import StaffMember
    from portal.extensions import db
    from portal.outfalls.models import RemediationPlan
    from portal.remediation.services import StepForm, take_step
    from portal.remediation.signoff import Action

    code, plan_id, head_id, coordinator_id, confirm = seed(_signed_off_outfall)
    page = client.get(f"/outfalls/{code}").get_data(as_text=True)
    assert "/remediation/documents/" not in page
    with app.app_context():
        plan = db.session.get(RemediationPlan, plan_id)
        today = date(2025, 6, 1)
        take_step(db.session.get(StaffMember, head_id), plan, Action.confirm, confirm, today)
        take_step(
            db.session.get(StaffMember, coordinator_id),
            plan,
            Action.approve,
            StepForm(today),
            today,
        )
        db.session.commit()
    page = client.get(f"/outfalls/{code}").get_data(as_text=True)
    links = re.findall(r'href="(/remediation/documents/[^"]+)"', page)
    assert len(links) == 2  # the proof and the confirmation
    assert "钦确〔2025〕1号" in page
    with client.get(links[0]) as response:
        assert response.status_code == 200 and response.data.startswith(b"%PDF")


def _supervision():
    from datetime import timedelta

    from portal.core.clock import local_today
    from portal.outfalls.models import CategoryL1, CategoryL2, Weather

    storm = f.outfall(category_l1=CategoryL1.YH, category_l2=CategoryL2.yh_storm, name="雨洪口甲")
    f.monitoring(storm, weather=Weather.dry, flow_m3s=0.02)
    wet = f.outfall(category_l1=CategoryL1.YH, category_l2=CategoryL2.yh_storm, name="雨洪口乙")
    f.monitoring(wet, weather=Weather.wet, flow_m3s=0.5)
    soon = f.outfall(name="过渡期将满")
    f.plan(soon, transition_until=local_today() + timedelta(days=30), transition_reason="扩建")
    late = f.outfall(name="过渡期尚远")
    f.plan(late, transition_until=local_today() + timedelta(days=200))


def test_supervision_lists(client, seed):
    seed(_supervision)
    dry = client.get("/progress/dry-weather").get_data(as_text=True)
    assert "雨洪口甲" in dry and "雨洪口乙" not in dry
    transitions = client.get("/progress/transitions").get_data(as_text=True)
    assert "过渡期将满" in transitions and "扩建" in transitions
    assert "过渡期尚远" not in transitions


def test_half_year_report_xlsx_has_the_same_figures(client, seed):
    import io

    from openpyxl import load_workbook

    seed(_world)
    response = client.get("/progress/report.xlsx?on=2024-06-30")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    # At 2024-06-30: 4 identified (the fifth is identified today), 2 signed off, 1 retained.
    assert rows[-1][2:5] == (4, 2, 1)
    assert client.get("/progress/report.xlsx?on=junk").status_code == 400


def test_half_year_report_pdf_carries_the_same_figures_as_the_xlsx(app, client, seed):
    import io

    import pypdfium2
    from openpyxl import load_workbook

    from portal.remediation.report import share_text

    seed(_world)
    response = client.get("/progress/report.pdf?on=2024-06-30", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    document = pypdfium2.PdfDocument(response.data)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    assert "Remediation progress 2024-06-30" in text
    xlsx = client.get("/progress/report.xlsx?on=2024-06-30", headers={"Accept-Language": "en"})
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(min_row=3, values_only=True))
    assert rows[-1][2:5] == (4, 2, 1)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for code, name, identified, signed, retained, share in rows:
        expected = " ".join(
            str(v) for v in (code, name, identified, signed, retained, share_text(share)) if v
        )
        assert any(expected in line for line in lines), (expected, lines)
    assert client.get("/progress/report.pdf?on=junk").status_code == 400
