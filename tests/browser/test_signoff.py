"""At desktop size, three accounts take one outfall through 销号: department staff write the
plan, mark its milestone done with evidence and submit the proof; the department head confirms
with the formal document; the coordinator approves. The public pages then show the steps and
their documents."""

import re

import pytest
from sqlalchemy import select

from portal.agencies.models import Role
from portal.core.clock import local_today
from portal.extensions import db
from portal.outfalls.models import RemediationMilestone
from tests import factories as f
from tests.outfalls.records_support import plain_pdf
from tests.staff import PASSWORD, staff_member, totp_code

pytestmark = pytest.mark.browser


def _sign_in(browser, base, username, code=None):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    if code is not None:
        page.wait_for_url(re.compile(r"/staff/totp"))
        page.locator("input[name=code]").fill(code)
        page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()
    return context, page


def _submit(page, form_selector):
    page.locator(f"{form_selector} button[type=submit]").click()
    page.wait_for_load_state()


def test_three_accounts_sign_an_outfall_off_and_the_public_sees_the_documents(
    live_app, browser, tmp_path
):
    with live_app.app_context():
        dept = f.department(name="钦州市住房和城乡建设局")
        outfall = f.outfall(department=dept)
        staff = staff_member(Role.staff, username="dept-staff", display_name="张三")
        staff.department_id = dept.id
        head = staff_member(Role.head, username="dept-head", display_name="李四")
        head.department_id = dept.id
        staff_member(Role.coordinator, username="coord", totp=True, display_name="王五")
        db.session.commit()
        code = outfall.code
    base = live_app.config["LIVE_URL"]
    today = local_today().isoformat()
    evidence, proof, confirmation = (
        tmp_path / "evidence.pdf",
        tmp_path / "proof.pdf",
        tmp_path / "confirmation.pdf",
    )
    for path in (evidence, proof, confirmation):
        path.write_bytes(plain_pdf(path.stem))

    # 1. Department staff: from the registry's list to the plan, then the work and the proof.
    context, page = _sign_in(browser, base, "dept-staff")
    page.goto(f"{base}/manage/")
    page.locator(f"a[href='/manage/outfalls/{code}/plan']").click()
    page.select_option("#category", "regularise")
    page.fill("#measures", "设置规范化检查井")
    page.fill("#deadline", f"{local_today().year + 1}-06-30")
    page.fill("#milestones", f"{today} 设置检查井")
    _submit(page, "#plan-form")
    assert "Plan approved" in page.locator("main").inner_text()
    # Proof while the milestone is open is refused, with the rule.
    page.set_input_files("#submit-files", str(proof))
    _submit(page, "#step-submit")
    assert "Every milestone must be done before proof is submitted." in page.content()
    with live_app.app_context():
        milestone = db.session.scalars(select(RemediationMilestone)).one().id
    page.fill(f"#m{milestone}-done_on", today)
    page.fill(f"#m{milestone}-note", "检查井已建成")
    page.set_input_files(f"#m{milestone}-files", str(evidence))
    _submit(page, f"form[action$='/milestones/{milestone}/done']")
    assert "done" in page.locator(f"#milestone-{milestone}").inner_text()
    page.set_input_files("#submit-files", str(proof))
    _submit(page, "#step-submit")
    assert "Sign-off proof submitted" in page.locator("main").inner_text()
    assert page.locator("#step-confirm").count() == 0  # not their own proof
    context.close()

    # 2. The department head confirms with the formal confirmation document.
    context, page = _sign_in(browser, base, "dept-head")
    page.goto(f"{base}/manage/outfalls/{code}/plan")
    page.fill("#confirm-document_number", "钦住建函〔2026〕9号")
    page.fill("#confirm-document_date", today)
    page.set_input_files("#confirm-files", str(confirmation))
    _submit(page, "#step-confirm")
    assert "Confirmed by department" in page.locator("main").inner_text()
    context.close()

    # 3. The coordinator reviews and approves: signed off.
    context, page = _sign_in(browser, base, "coord", totp_code())
    page.goto(f"{base}/manage/outfalls/{code}/plan")
    assert page.locator("#step-confirm").count() == 0
    _submit(page, "#step-approve")
    assert "signed off" in page.locator("main").inner_text()
    context.close()

    # The public: the outfall page lists the steps with their documents, which open.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{base}/outfalls/{code}")
    section = page.locator("section[aria-labelledby=plan-h]")
    text = section.inner_text()
    assert "钦住建函〔2026〕9号" in text and "Proof submitted" in text
    for private in ("张三", "李四", "王五"):
        assert private not in page.content()
    links = section.locator("a[href*='/remediation/documents/']")
    assert links.count() == 2  # the proof and the confirmation
    with page.expect_response(re.compile(r"/remediation/documents/\d+/")) as response:
        links.first.click()
    assert response.value.status == 200
    assert response.value.headers["content-type"] == "application/pdf"
    page.goto(f"{base}/o/{code}")
    card = page.locator("article.outfall-card").inner_text()
    assert "Proof submitted" in card and "Reviewed and signed off" in card
    assert page.locator("a[href*='/remediation/documents/']").count() == 2
    context.close()
