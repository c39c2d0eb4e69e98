"""What a citizen sees on a phone after scanning a signboard."""

import pytest

from portal.extensions import db
from tests import factories as f

pytestmark = pytest.mark.browser


def _seed(app):
    with app.app_context():
        outfall = f.outfall(name="钦州市钦南区测试村1#工矿企业排污口")
        f.approval(outfall, limits={"cod": 30})
        f.plan(outfall)
        f.monitoring(outfall, cod=45.5)
        db.session.commit()
        return outfall.code


def test_scanning_a_signboard_opens_a_readable_phone_page(live_app, phone, tmp_path):
    code = _seed(live_app)
    base = live_app.config["LIVE_URL"]
    # A QR code scanned or a code typed in lower case with spaces lands on the same page.
    phone.goto(f"{base}/o/{code[:6].lower()} {code[6:]}")
    assert phone.url == f"{base}/o/{code}"

    heading = phone.get_by_role("heading", level=1)
    assert heading.inner_text() == "钦州市钦南区测试村1#工矿企业排污口"
    body = phone.locator("main").inner_text()
    for expected in ("责任主体", "测试化工有限公司", "监管部门", "整治中", "化学需氧量", "12369"):
        assert expected in body, expected

    report = phone.get_by_role("link", name="举报此排污口的问题")
    assert report.is_visible()
    box = report.bounding_box()
    assert box["height"] >= 44  # a finger-sized target
    assert box["y"] + box["height"] <= 844 * 1.5  # reachable without much scrolling

    no_sideways_scroll = phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_sideways_scroll
    phone.screenshot(path=str(tmp_path / "landing.png"), full_page=True)
    assert phone.console_errors == []  # includes CSP violations


def test_outfall_page_map_works_without_tiles_and_keeps_coordinates(live_app, phone):
    code = _seed(live_app)
    phone.goto(f"{live_app.config['LIVE_URL']}/outfalls/{code}")
    phone.wait_for_selector("#outfall-map.map-ready")
    assert phone.locator(".leaflet-interactive").count() == 1  # the outfall's marker
    assert "21.95000° N, 108.62000° E" in phone.locator("main").inner_text()
    assert phone.console_errors == []


def test_unknown_code_offers_the_lookup_form(live_app, phone):
    code = _seed(live_app)
    base = live_app.config["LIVE_URL"]
    phone.goto(f"{base}/o/QT0000000000")
    assert "未找到该编码的排污口" in phone.locator("h1").inner_text()
    phone.get_by_label("标识牌上的排污口编码").fill(code.lower())
    phone.get_by_role("button", name="查询").click()
    phone.wait_for_url(f"{base}/o/{code}")
    assert phone.console_errors == []
