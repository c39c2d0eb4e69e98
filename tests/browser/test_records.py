"""At desktop size: department staff publish an approval with its PDF; the public sees it."""

import re

import pytest

from portal.agencies.models import Role
from portal.agencies.services import create_staff
from portal.extensions import db
from tests import factories as f
from tests.outfalls.records_support import plain_pdf

pytestmark = pytest.mark.browser


def test_staff_publish_an_approval_with_a_pdf_and_the_outfall_page_shows_it(
    live_app, browser, tmp_path
):
    with live_app.app_context():
        dept = f.department(slug="eco", name="市生态环境局")
        outfall = f.outfall(department=dept)
        other = f.outfall()
        create_staff(db.session, "eco-desk", "demo-eco-2026", Role.staff, dept.id)
        db.session.commit()
        code, other_code = outfall.code, other.code
    pdf = tmp_path / "设置审批决定书.pdf"
    pdf.write_bytes(plain_pdf("Approval decision"))
    base = live_app.config["LIVE_URL"]

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/manage/outfalls/{code}/approvals/new")
    assert "/staff/login" in page.url  # deny by default
    page.get_by_label("用户名").fill("eco-desk")
    page.get_by_label("密码").fill("demo-eco-2026")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{base}/manage/outfalls/{code}/approvals/new")
    page.select_option("#kind", "approval")
    page.fill("#decision_no", "钦环审〔2026〕31号")
    page.fill("#authority", "钦州市生态环境局")
    page.fill("#decided_on", "2026-04-01")
    page.fill("#valid_until", "2031-03-31")
    page.fill("#limit_cod", "40")
    page.set_input_files("#documents", str(pdf))
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/manage/outfalls/{code}/records$"))
    assert "钦环审〔2026〕31号" in page.locator("main").inner_text()

    page.goto(f"{base}/outfalls/{code}")
    section = page.locator("section[aria-labelledby=appr-h]")
    assert "钦环审〔2026〕31号" in section.inner_text()
    link = section.get_by_role("link", name="设置审批决定书")
    with page.expect_response(re.compile(r"/documents/\d+/")) as response:
        link.click()
    assert response.value.status == 200
    assert response.value.headers["content-type"] == "application/pdf"

    # Another department's outfall cannot be opened for editing.
    answer = page.goto(f"{base}/manage/outfalls/{other_code}/approvals/new")
    assert answer.status == 404
    context.close()
