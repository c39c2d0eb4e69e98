"""A data officer uploads a sheet, reads the dry-run report, applies it, and the new outfall
is on /o/<code> (the job runs in a background thread; the page follows it by polling)."""

import re

import openpyxl
import pytest

from portal.agencies.models import Role
from portal.extensions import db
from tests import factories as f
from tests.imports.test_import import HEADER, _row
from tests.staff import PASSWORD, staff_member, totp_code

pytestmark = pytest.mark.browser


def test_upload_dry_run_apply_then_the_outfall_is_public(live_app, browser, tmp_path):
    with live_app.app_context():
        f.region(code="450702", name="钦南区")
        f.water_body(name="钦江", code="QJ01")
        officer = staff_member(Role.data_officer, totp=True).username
        db.session.commit()
    sheet = tmp_path / "钦南区台账.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["钦南区入河排污口排查台账"])
    wb.active.append(HEADER)
    wb.active.append(_row(7))
    wb.save(sheet)
    base = live_app.config["LIVE_URL"]

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/manage/import/")
    page.get_by_label("用户名").fill(officer)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator("input[name=code]").fill(totp_code())
    page.locator("button[type=submit]").click()
    page.goto(f"{base}/manage/import/")
    page.set_input_files("input[type=file]", str(sheet))
    page.get_by_role("button", name="检查文件（试运行）").click()
    page.wait_for_url(re.compile(r"/manage/import/jobs/\d+$"))
    page.get_by_role("button", name="应用此文件").wait_for(timeout=20000)
    report = page.locator("main").inner_text()
    assert "新建" in report and "度分秒已转换" in report
    page.get_by_role("button", name="应用此文件").click()
    page.get_by_text("已应用：以下各行已全部写入台账。").wait_for(timeout=20000)
    page.goto(f"{base}/o/QJ01450702GY0007")
    assert "钦南区测试企业7#工矿企业排污口" in page.locator("main").inner_text()
    assert errors == []
    context.close()
