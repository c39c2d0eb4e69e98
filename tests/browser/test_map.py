"""The outfall map in headless Chromium, with tiles that never load."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from portal.extensions import db
from portal.outfalls.models import CategoryL1, Outfall, WaterKind
from tests import factories as f

pytestmark = pytest.mark.browser


def _integrate(app):
    """What create_app will do once integrated; harmless afterwards."""
    from portal.api import bp
    from portal.outfalls.clustering import clear_grid_cache

    if "api" not in app.blueprints:
        app.register_blueprint(bp)
    clear_grid_cache()


def _seed(app):
    """Two groups of 8 outfalls ~5 km apart near Qinzhou."""
    with app.app_context():
        region = f.region(code="450702", name="钦南区")
        water = f.water_body()
        rows = []
        for group, (lat, lon) in enumerate(((21.95, 108.62), (21.99, 108.66))):
            for i in range(8):
                n = group * 8 + i
                rows.append(
                    {
                        "code": f"TW0001450702GY{n:04d}",
                        "name": f"测试排污口{n}",
                        "category_l1": CategoryL1.GY,
                        "water_kind": WaterKind.river,
                        "lat": lat + (i % 3) * 0.001,
                        "lon": lon + (i // 3) * 0.001,
                        "region_id": region.id,
                        "water_body_id": water.id,
                    }
                )
        db.session.execute(insert(Outfall), rows)
        db.session.commit()


def test_map_shows_clusters_that_zoom_in_to_points_with_links(live_app, phone):
    _integrate(live_app)
    live_app.config["MAP_MAX_POINTS"] = 10  # 16 outfalls: clusters until zoomed in
    _seed(live_app)
    base = live_app.config["LIVE_URL"]
    phone.goto(f"{base}/map?lat=21.97&lon=108.64&z=11")
    phone.wait_for_selector("#outfall-big-map.map-ready")
    clusters = phone.locator(".cluster-icon")
    assert clusters.count() == 2
    assert sorted(clusters.all_inner_texts()) == ["8", "8"]
    assert "16" in phone.locator("#map-status").inner_text()

    clusters.first.click()
    expect(phone).to_have_url(re.compile(r"[?&]z=13"))
    # Few enough to send as points, but ~110 m apart they would overlap at zoom 13 (~6 px):
    # still one cluster on the map, every outfall in the list under it.
    expect(phone.locator("#map-list li")).to_have_count(8)
    assert phone.locator("path.leaflet-interactive").count() == 0
    assert phone.locator(".cluster-icon").first.inner_text() == "8"

    phone.goto(f"{base}/map?lat=21.951&lon=108.621&z=16")
    points = phone.locator("path.leaflet-interactive")
    expect(points).to_have_count(8)
    points.first.dispatch_event("click")
    link = phone.locator(".leaflet-popup-content a")
    link.wait_for()
    href = link.get_attribute("href")
    assert href.startswith("/o/TW0001450702GY")
    link.click()
    phone.wait_for_url(f"{base}{href}")
    assert phone.locator("h1").inner_text().startswith("测试排污口")
    assert phone.console_errors == []


def test_filters_update_the_url_and_the_list_link(live_app, phone):
    _integrate(live_app)
    _seed(live_app)
    base = live_app.config["LIVE_URL"]
    phone.goto(f"{base}/map?lat=21.97&lon=108.64&z=11")
    phone.wait_for_selector("#outfall-big-map.map-ready")
    # Sent as points, drawn as two clusters: at zoom 11 their markers would overlap.
    assert sorted(phone.locator(".cluster-icon").all_inner_texts()) == ["8", "8"]
    assert phone.locator("#map-list li").count() == 16
    phone.select_option("#kind", "sea")
    expect(phone).to_have_url(re.compile(r"[?&]kind=sea"))
    expect(phone.locator(".cluster-icon")).to_have_count(0)
    assert phone.locator("path.leaflet-interactive").count() == 0
    assert phone.locator("#map-list-link").get_attribute("href") == "/outfalls/?kind=sea"
    assert phone.console_errors == []


def test_map_says_when_tiles_fail_credits_leaflet_and_colours_by_remediation(live_app, phone):
    _integrate(live_app)
    _seed(live_app)
    phone.goto(f"{live_app.config['LIVE_URL']}/map?lat=21.951&lon=108.621&z=16")
    phone.wait_for_selector("#outfall-big-map.map-ready")
    notice = phone.locator("#outfall-big-map .tiles-failed")
    expect(notice).to_be_visible()  # the tile server is unreachable in tests
    assert "底图无法加载" in notice.inner_text()
    attribution = phone.locator(".leaflet-control-attribution")
    assert attribution.inner_text().startswith("Leaflet")
    assert attribution.locator("svg").count() == 0  # no flag
    points = phone.locator("path.leaflet-interactive")
    expect(points).to_have_count(8)
    assert points.first.get_attribute("fill") == "#b42318"  # GY: industrial red
    phone.select_option("#map-colour", "remediation")
    expect(points.first).to_have_attribute("fill", "#6b7280")  # no remediation plan
    expect(phone.locator(".map-legend[data-legend=remediation]")).to_be_visible()
    assert phone.console_errors == []


def test_my_location_centres_the_map(live_app, phone):
    _integrate(live_app)
    _seed(live_app)
    phone.goto(f"{live_app.config['LIVE_URL']}/map")
    phone.wait_for_selector("#outfall-big-map.map-ready")
    phone.locator("#map-locate").click()
    expect(phone).to_have_url(re.compile(r"lat=21\.950.*z=15"))
    expect(phone.locator(".leaflet-tooltip-pane, .leaflet-interactive").first).to_be_attached()
    assert phone.console_errors == []


def test_the_complaints_layer_shows_public_reports_and_links_them(live_app, phone):
    _integrate(live_app)
    with live_app.app_context():
        outfall = f.outfall(lat=21.95, lon=108.62)
        number = f.complaint(outfall=outfall.code, lat=21.951234, lon=108.623456).complaint
        number = number.tracking_no
        db.session.commit()
    base = live_app.config["LIVE_URL"]
    phone.goto(f"{base}/map?lat=21.95&lon=108.62&z=14&complaints=1")
    toggle = phone.locator("#complaint-layer-toggle")
    expect(toggle).to_be_checked()
    expect(phone.locator("#complaint-layer-status")).to_contain_text("1")
    marker = phone.locator("path.leaflet-interactive[fill='#c2410c']")
    expect(marker).to_have_count(1)
    marker.click()
    popup = phone.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(number)
    assert popup.locator("a").get_attribute("href").endswith(f"/complaints/{number}")
    toggle.uncheck()
    expect(marker).to_have_count(0)
    assert phone.console_errors == []
