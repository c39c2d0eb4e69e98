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

    phone.wait_for_url(re.compile(r"/complaints/t/[\w-]+$"))
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
    phone.reload()  # the notice shows once, never on a reload
    assert number in phone.locator("h1").inner_text()
    assert phone.locator("section.receipt").count() == 0
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
    # Refused as soon as it is sent, with the server's own message, before any submit.
    error = phone.locator("#photos-live-error")
    expect(error).to_contain_text("无法识别该文件为照片")
    assert phone.get_by_label("其他").is_checked()
    assert phone.get_by_label("描述您看到的情况").input_value() == "河面有大片白色泡沫。"


def _uploads(page) -> list[str]:
    sent = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.url) if r.method == "POST" and "/complaints/uploads" in r.url else None
        ),
    )
    return sent


def test_a_refused_submit_keeps_the_photo_and_files_one_report(live_app, phone, tmp_path):
    from sqlalchemy import func, select

    from portal.complaints.models import Complaint, ComplaintPhoto

    with live_app.app_context():
        code = f.outfall(name="钦州市测试排口", lat=21.68, lon=108.61).code
        db.session.commit()
    base = live_app.config["LIVE_URL"]
    photo = tmp_path / "IMG_0002.JPG"
    photo.write_bytes(phone_jpeg(gps=(21.6801, 108.6102), size=(2400, 1800)))
    uploads = _uploads(phone)

    phone.goto(f"{base}/complaints/new?outfall={code}")
    phone.wait_for_selector("#report-map.map-ready")
    phone.get_by_label("其他").check()
    phone.set_input_files("#photos", str(photo))
    expect(phone.locator("#staged-photos li.done")).to_have_count(1, timeout=15_000)
    assert phone.locator("#photos").input_value() == ""  # the form will carry a token
    phone.get_by_role("button", name="提交举报").click()  # no description

    summary = phone.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert "请简要描述问题。" in summary.inner_text()  # the server's own message
    description = phone.get_by_label("描述您看到的情况")
    assert description.get_attribute("aria-invalid") == "true"
    assert description.get_attribute("aria-describedby") == "description-error"
    summary.get_by_role("link").first.click()
    expect(description).to_be_focused()
    assert "钦州市测试排口" in phone.locator(".at-outfall").inner_text()  # context kept

    description.fill("排口排出白色泡沫，气味刺鼻。")
    phone.get_by_role("button", name="提交举报").click()
    phone.wait_for_url(re.compile(r"/complaints/t/[\w-]+$"))
    assert "举报已收到" in phone.locator("main").inner_text()
    thumb = phone.locator("ul.photos img").first
    thumb.wait_for()
    assert phone.evaluate("(img) => img.complete && img.naturalWidth > 0", thumb.element_handle())
    assert len(uploads) == 1  # the photo travelled once
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1
        stored = db.session.scalars(select(ComplaintPhoto)).one()
        # Shrunk in the browser; where it was taken came from the phone's reading.
        assert max(stored.width, stored.height) <= 2048
        assert round(stored.device_lat, 4) == 21.6801 and stored.device_captured_at
    # Once filed, the form forgets: a new report starts empty.
    phone.goto(f"{base}/complaints/new?outfall={code}")
    assert phone.get_by_label("描述您看到的情况").input_value() == ""
    assert phone.locator("#staged-photos li").count() == 0
    assert phone.console_errors == []


def test_a_reload_keeps_what_was_typed_and_the_photo(live_app, phone, tmp_path):
    base = live_app.config["LIVE_URL"]
    photo = tmp_path / "IMG_0003.JPG"
    photo.write_bytes(phone_jpeg())
    uploads = _uploads(phone)
    phone.goto(f"{base}/complaints/new")
    phone.get_by_label("其他").check()
    phone.get_by_label("描述您看到的情况").fill("夜里河边有异味。")
    phone.set_input_files("#photos", str(photo))
    expect(phone.locator("#staged-photos li.done")).to_have_count(1, timeout=15_000)
    phone.wait_for_timeout(400)  # the draft is saved a moment after typing
    phone.reload()
    assert phone.get_by_label("描述您看到的情况").input_value() == "夜里河边有异味。"
    assert phone.get_by_label("其他").is_checked()
    expect(phone.locator("#staged-photos li.done")).to_have_count(1)
    phone.get_by_role("button", name="提交举报").click()
    phone.wait_for_url(re.compile(r"/complaints/t/[\w-]+$"))
    expect(phone.locator("ul.photos img")).to_have_count(1)
    assert len(uploads) == 1
    assert phone.console_errors == []


def test_offline_the_report_waits_and_goes_when_the_connection_returns(live_app, phone):
    base = live_app.config["LIVE_URL"]
    phone.goto(f"{base}/complaints/new")
    phone.get_by_label("其他").check()
    phone.get_by_label("描述您看到的情况").fill("河边有死鱼。")
    phone.locator("details.coords summary").click()
    phone.fill("#lat", "21.95")
    phone.fill("#lon", "108.62")
    phone.context.set_offline(True)
    button = phone.get_by_role("button", name="提交举报")
    button.click()
    expect(phone.locator("#send-status")).to_contain_text("您当前处于离线状态")
    expect(phone.locator("#send-report")).to_be_disabled()  # no second press meanwhile
    phone.context.set_offline(False)
    phone.wait_for_url(re.compile(r"/complaints/t/[\w-]+$"))
    assert "举报已收到" in phone.locator("main").inner_text()
    copy = phone.get_by_role("button", name="复制链接")
    copy.click()
    expect(phone.locator("#copy-status")).not_to_be_empty()
