"""A data officer enters an outfall on the map at desktop size and publishes its approval
with a PDF; its QR page, the site search and the map show it, though each had been asked
before the edit (page cache, search index and map grid on, as in production). A
department's staff member cannot open another department's outfall for editing."""

import re

import pypdf
import pytest

from portal.agencies.models import Role
from portal.extensions import db
from portal.search import lifecycle
from tests import factories as f
from tests.staff import PASSWORD, staff_member, totp_code

pytestmark = pytest.mark.browser

CODE = "TW0001450702GY0901"
NAME = "钦州市浏览器测试厂1#工矿企业排污口"
# ~5 km from the other outfall (21.95, 108.62): apart at zoom 15, in one view at zoom 11.
LAT, LON = 21.99, 108.66
DECISION = "钦环审〔2026〕77号"


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


def _map(page, base, zoom: int) -> tuple[str, str]:
    """The map around the new outfall: its status line and the list under it."""
    page.goto(f"{base}/map?lat={LAT - 0.02}&lon={LON - 0.02}&z={zoom}")
    page.locator("#outfall-big-map.map-ready").wait_for()
    return page.locator("#map-status").inner_text(), page.locator("#map-list").inner_text()


def _map_list(page, base) -> str:
    """The list under the map at zoom 15 on the new outfall (single outfalls show)."""
    page.goto(f"{base}/map?lat={LAT}&lon={LON}&z=15")
    page.locator("#outfall-big-map.map-ready").wait_for()
    return page.locator("#map-list").inner_text()


def _search(page, base, query: str) -> str:
    page.goto(f"{base}/search?q={query}")
    return page.locator("main").inner_text()


def test_a_data_officer_enters_an_outfall_and_its_approval_and_the_public_sees_them(
    serve_live, browser, tmp_path
):
    # One point at most: a zoom-11 view of both outfalls is answered from the grid cache
    # (clusters), a zoom-15 view of one of them with points.
    live_app = serve_live(SEARCH_AUTO_INDEX=True, PAGE_CACHE_SECONDS=30, MAP_MAX_POINTS=1)
    with live_app.app_context():
        region = f.region(code="450702", name="钦南区")
        river = f.water_body(name="钦江")
        mine, other = f.department(), f.department()
        foreign = f.outfall(region=region, water_body=river, department=other).code
        staff_member(Role.data_officer, username="officer", totp=True)
        staff = staff_member(Role.staff, username="dept-staff")
        staff.department_id = mine.id
        db.session.commit()
        lifecycle.rebuild(db.session, live_app.config["SEARCH_INDEX_DIR"])
    base = live_app.config["LIVE_URL"]
    pdf = tmp_path / "decision.pdf"
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    with open(pdf, "wb") as fh:
        writer.write(fh)

    # The public asks first: the page cache, the search index and the map grid now hold
    # the registry as it was.
    public = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    visitor = public.new_page()
    status, listing = _map(visitor, base, 11)
    assert "共有 1 个排污口" in status and foreign in listing
    assert CODE not in _map_list(visitor, base)
    assert NAME not in _search(visitor, base, "浏览器测试厂")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, base, "officer", totp_code())
    page.goto(f"{base}/queue/")
    page.get_by_role("link", name="管理台账").click()
    page.get_by_role("link", name="新增排污口").click()
    page.locator("#code").fill("TW0001 450702 GY 0901")
    page.locator("#name").fill(NAME)
    page.locator("#category_l1").select_option("GY")
    page.locator("#category_l2").select_option("gy_enterprise")
    # The map pin fills the coordinates (tiles cannot load here; the map still takes clicks).
    page.locator("#pin-map.map-ready").click(position={"x": 300, "y": 150})
    assert page.locator("#lat").input_value() and page.locator("#lon").input_value()
    page.locator("#lat").fill(str(LAT))
    page.locator("#lon").fill(str(LON))
    page.locator("#address").fill("钦南区测试路99号")
    page.locator("#reason").fill("排查新发现")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(rf"/manage/outfalls/{CODE}/edit"))
    assert "已录入台账" in page.locator("body").inner_text()

    # The approval, with its PDF uploaded through the form.
    page.goto(f"{base}/manage/")
    page.locator("tr", has_text=CODE).get_by_role("link", name="审批与监测").click()
    page.get_by_role("link", name="公开决定").click()
    page.locator("#kind").select_option("approval")
    page.locator("#decision_no").fill(DECISION)
    page.locator("#authority").fill("钦州市生态环境局")
    page.locator("#decided_on").fill("2026-03-01")
    page.locator("#documents").set_input_files(str(pdf))
    page.locator("#document_title").fill("入河排污口设置审批决定书")
    page.locator("form button[type=submit]", has_text="公开").click()
    page.wait_for_url(re.compile(rf"/manage/outfalls/{CODE}/records"))
    assert DECISION in page.locator("main").inner_text()

    # The public sees it all, from the same worker whose page cache, search index and map
    # grid were filled before. (A new visitor: the first one's browser may keep the pages
    # it has for PUBLIC_CACHE_SECONDS, as the edit page says.)
    public.close()
    public = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    visitor = public.new_page()
    visitor.goto(f"{base}/o/{CODE}")
    text = visitor.locator("main").inner_text()
    assert NAME in text and "最近更新" in text and DECISION in text
    # The full record links the published document.
    visitor.get_by_role("link", name="完整档案：审批、整治方案、历次监测与地图").click()
    link = visitor.get_by_role("link", name="入河排污口设置审批决定书")
    document = visitor.request.get(base + link.get_attribute("href"))
    assert document.ok and document.body() == pdf.read_bytes()
    assert NAME in _search(visitor, base, "浏览器测试厂")
    assert NAME in _search(visitor, base, CODE)
    status, listing = _map(visitor, base, 11)
    assert "共有 2 个排污口" in status and listing == ""  # clusters: zoom in to list them
    assert NAME in _map_list(visitor, base)

    dept = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    other_page = dept.new_page()
    _sign_in(other_page, base, "dept-staff")
    response = other_page.goto(f"{base}/manage/outfalls/{foreign}/edit")
    assert response.status == 404
    for ctx in (public, context, dept):
        ctx.close()
