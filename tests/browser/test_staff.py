"""A department's staff member signs in, accepts a case and replies; the reporter sees it."""

import re

import pytest

from portal.agencies.models import Role
from portal.agencies.services import create_staff
from portal.extensions import db
from portal.queue.models import RoutingRule
from tests import factories as f

pytestmark = pytest.mark.browser


def test_staff_accepts_and_replies_and_the_reporter_sees_the_reply(live_app, browser):
    with live_app.app_context():
        industry = f.department(slug="industry", name="市工业和信息化局")
        outfall = f.outfall(department=industry)  # supervised by the bureau it is routed to
        db.session.add(RoutingRule(outfall_type="GY", lead_department_id=industry.id))
        create_staff(
            db.session,
            "ind-staff",
            "demo-industry-2026",
            Role.staff,
            industry.id,
            display_name="工信局值班员",
        )
        db.session.commit()
        code = outfall.code
    base = live_app.config["LIVE_URL"]

    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    report = citizen.new_page()
    report.goto(f"{base}/complaints/new?outfall={code}")
    report.get_by_label("疑似偷排、私设暗管、借道排污").check()
    report.get_by_label("描述您看到的情况").fill("排口夜间排放黑水，气味刺鼻。")
    report.get_by_role("button", name="提交举报").click()
    report.wait_for_url(re.compile(r"/complaints/t/"))
    tracking_url = report.url.split("?")[0]
    number = re.search(r"TS-\d{4}-\d{6}", report.locator("main").inner_text()).group(0)
    assert "市工业和信息化局" in report.locator("main").inner_text()  # routed at once

    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    staff = staff_context.new_page()
    staff.goto(f"{base}/queue/")
    assert "/staff/login" in staff.url  # deny by default
    staff.get_by_label("用户名").fill("ind-staff")
    staff.get_by_label("密码").fill("demo-industry-2026")
    staff.get_by_role("button", name="登录").click()
    staff.goto(f"{base}/queue/")
    staff.get_by_role("link", name=number).click()
    staff.locator("summary", has_text="受理").first.click()
    staff.get_by_role("button", name="受理").first.click()
    staff.wait_for_url(re.compile(r"/queue/cases/\d+$"))
    assert "已受理" in staff.locator("main").inner_text()
    staff.locator("summary", has_text="办结并公开答复").click()
    reply = "经查为某厂私设暗管，已封堵并立案处罚。"
    staff.locator("#msg-resolve").fill(reply)
    staff.get_by_role("button", name="办结并公开答复").click()
    staff.wait_for_url(re.compile(r"/queue/cases/\d+$"))
    assert "已办结" in staff.locator("main").inner_text()

    report.goto(tracking_url)
    text = report.locator("main").inner_text()
    assert reply in text and "已办结" in text
    citizen.close()
    staff_context.close()


def test_a_phone_report_entered_by_staff_is_public_without_the_callers_identity(live_app, browser):
    with live_app.app_context():
        eco = f.department(slug="eco-env", name="市生态环境局", is_coordinator=True)
        industry = f.department(slug="industry", name="市工业和信息化局")
        outfall = f.outfall(department=industry)  # supervised by the bureau it is routed to
        db.session.add(RoutingRule(outfall_type="GY", lead_department_id=industry.id))
        create_staff(db.session, "hotline", "demo-eco-2026", Role.staff, eco.id)
        db.session.commit()
        code = outfall.code
    base = live_app.config["LIVE_URL"]

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    staff = desk.new_page()
    staff.goto(f"{base}/staff/login")
    staff.get_by_label("用户名").fill("hotline")
    staff.get_by_label("密码").fill("demo-eco-2026")
    staff.get_by_role("button", name="登录").click()
    staff.goto(f"{base}/queue/")
    staff.get_by_role("link", name="登记举报").first.click()
    staff.get_by_label("举报来源渠道").select_option("phone_12369")
    staff.get_by_label("问题类型").select_option("illegal_discharge")
    staff.get_by_label("举报内容").fill("来电：排口夜间排放黑水。")
    staff.get_by_label("排污口编码（如知道）").fill(code)
    staff.get_by_label("举报人姓名").fill("孙八")
    staff.get_by_label("举报人电话").fill("13955556666")
    staff.get_by_role("button", name="登记该举报").click()
    staff.wait_for_load_state()
    flash = staff.locator(".flash").inner_text()
    number = re.search(r"TS-\d{4}-\d{6}", flash).group(0)
    assert "市工业和信息化局" in flash  # routed to the supervising department, like a web report

    public = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = public.new_page()
    page.goto(f"{base}/complaints/")
    row = page.locator(".record-item", has_text=number)
    assert "12369 电话" in row.inner_text()
    page.goto(f"{base}/o/{code}")
    block = page.locator(".outfall-reports").inner_text()
    assert number in block and "近 90 天共 1 件举报" in block
    for url in (f"{base}/complaints/", f"{base}/o/{code}", f"{base}/complaints/{number}"):
        page.goto(url)
        text = page.content()
        assert "孙八" not in text and "13955556666" not in text and "来电：" not in text
    public.close()
    desk.close()
