"""A citizen scans a signboard, reports with a photo from the phone, and tracks the case."""

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests import factories as f
from tests.images import phone_jpeg

pytestmark = pytest.mark.browser


def test_scan_report_with_a_photo_and_track_it(live_app, phone, tmp_path):
    with live_app.app_context():
        code = f.outfall(name="钦州市钦南区测试村2#城镇雨洪排口").code
        db.session.commit()
    base = live_app.config["LIVE_URL"]
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(phone_jpeg())

    phone.goto(f"{base}/o/{code}")
    phone.get_by_role("link", name="举报此排污口的问题").click()
    phone.wait_for_url(re.compile(r"/complaints/new\?outfall="))
    phone.wait_for_selector("#report-map.map-ready")

    phone.get_by_label("雨洪排口晴天/旱天排水").check()
    phone.get_by_label("描述您看到的情况").fill("没下雨，雨水口一直在排灰色的水。")
    phone.get_by_role("button", name="使用我的位置").click()
    # (wait_for_function would eval a string, which the page's CSP rightly forbids)
    expect(phone.locator("input[name=lat]")).not_to_have_value("", timeout=10_000)
    assert phone.locator("input[name=lat]").input_value().startswith("21.9501")
    phone.set_input_files("#photos", str(photo))
    phone.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    phone.get_by_role("button", name="提交举报").click()

    phone.wait_for_url(re.compile(r"/complaints/t/[\w-]+\?new=1$"))
    receipt = phone.locator("main").inner_text()
    assert "举报已收到" in receipt
    number = re.search(r"TS-\d{4}-\d{6}", receipt).group(0)
    assert "没下雨，雨水口一直在排灰色的水。" in receipt
    assert "手机定位" in receipt  # the location came from the phone
    thumb = phone.locator("ul.photos img").first
    thumb.wait_for()
    assert phone.evaluate("(img) => img.complete && img.naturalWidth > 0", thumb.element_handle())
    phone.screenshot(path=str(tmp_path / "tracking.png"), full_page=True)

    # The private link works again later, and the public page shows no personal data.
    phone.goto(phone.url.split("?")[0])
    assert number in phone.locator("h1").inner_text()
    phone.goto(f"{base}/complaints/{number}")
    assert "没下雨" not in phone.locator("main").inner_text()  # no consent to publish
    assert phone.console_errors == []


def test_invalid_photo_is_refused_next_to_the_field_and_text_is_kept(live_app, phone, tmp_path):
    base = live_app.config["LIVE_URL"]
    fake = tmp_path / "photo.jpg"
    fake.write_text("not really a photo")
    phone.goto(f"{base}/complaints/new")
    phone.get_by_label("其他").check()
    phone.get_by_label("描述您看到的情况").fill("河面有大片白色泡沫。")
    phone.set_input_files("#photos", str(fake))
    phone.get_by_role("button", name="提交举报").click()
    phone.wait_for_selector("ul.field-error")
    assert "无法识别该文件为照片" in phone.locator("ul.field-error").first.inner_text()
    assert phone.get_by_label("其他").is_checked()
    assert phone.get_by_label("描述您看到的情况").input_value() == "河面有大片白色泡沫。"
