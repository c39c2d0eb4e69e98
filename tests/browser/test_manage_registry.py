"""A data officer enters an outfall on the map at desktop size; its QR page shows it. A
department's staff member cannot open another department's outfall for editing."""

import re

import pytest

from portal.agencies.models import Role
from portal.extensions import db
from tests import factories as f
from tests.staff import PASSWORD, staff_member, totp_code

pytestmark = pytest.mark.browser


def _sign_in(page, base, username, code=None):
    page.goto(f"{base}/staff/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    if code is not None:
        page.wait_for_url(re.compile(r"/staff/totp"))
        page.locator("input[name=code]").fill(code)
        page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_data_officer_enters_an_outfall_and_its_signboard_page_shows_it(live_app, browser):
    with live_app.app_context():
        region = f.region(code="450702", name="钦南区")
        river = f.water_body(name="钦江")
        mine, other = f.department(), f.department()
        foreign = f.outfall(region=region, water_body=river, department=other).code
        staff_member(Role.data_officer, username="officer", totp=True)
        staff = staff_member(Role.staff, username="dept-staff")
        staff.department_id = mine.id
        db.session.commit()
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, base, "officer", totp_code())
    page.goto(f"{base}/queue/")
    page.get_by_role("link", name="管理台账").click()
    page.get_by_role("link", name="新增排污口").click()
    page.locator("#code").fill("TW0001 450702 GY 0901")
    page.locator("#name").fill("钦州市浏览器测试厂1#工矿企业排污口")
    page.locator("#category_l1").select_option("GY")
    page.locator("#category_l2").select_option("gy_enterprise")
    # The map pin fills the coordinates (tiles cannot load here; the map still takes clicks).
    page.locator("#pin-map.map-ready").click(position={"x": 300, "y": 150})
    assert page.locator("#lat").input_value() and page.locator("#lon").input_value()
    page.locator("#lat").fill("21.95")
    page.locator("#lon").fill("108.62")
    page.locator("#address").fill("钦南区测试路99号")
    page.locator("#reason").fill("排查新发现")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/manage/outfalls/TW0001450702GY0901/edit"))
    assert "已录入台账" in page.locator("body").inner_text()
    page.goto(f"{base}/o/TW0001450702GY0901")
    text = page.locator("main").inner_text()
    assert "钦州市浏览器测试厂1#工矿企业排污口" in text and "最近更新" in text

    dept = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    other_page = dept.new_page()
    _sign_in(other_page, base, "dept-staff")
    response = other_page.goto(f"{base}/manage/outfalls/{foreign}/edit")
    assert response.status == 404
    context.close()
    dept.close()
