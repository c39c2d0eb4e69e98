"""GET /api/v1/outfalls/map and the /map page."""

import json
import random
import re

import pytest
from sqlalchemy import insert

from portal.extensions import db
from portal.outfalls.models import (
    CategoryL1,
    Outfall,
    RemediationPlan,
    RemediationStatus,
    WaterKind,
)
from tests import factories as f

URL = "/api/v1/outfalls/map"
# Around Qinzhou; the seeded outfalls all lie inside.
AREA = "108.0,21.5,109.0,22.5"


def _bulk(points, *, region_id, water_id, type="GY", kind="river", start=0):
    """Outfalls at (lat, lon) points, inserted in one statement."""
    rows = [
        {
            "code": f"TW0001450702{type}{start + i:06d}",
            "name": f"测试排污口{start + i}",
            "category_l1": CategoryL1(type),
            "water_kind": WaterKind(kind),
            "lat": lat,
            "lon": lon,
            "region_id": region_id,
            "water_body_id": water_id,
        }
        for i, (lat, lon) in enumerate(points)
    ]
    db.session.execute(insert(Outfall), rows)


@pytest.fixture
def place(seed):
    """A city with a district, and a river: ids and codes."""

    def _make():
        city = f.region(code="450700", name="钦州市")
        district = f.region(code="450702", name="钦南区", parent_id=city.id)
        other = f.region(code="450300", name="桂林市")
        water = f.water_body()
        return {
            "city": city.code,
            "district_id": district.id,
            "other_id": other.id,
            "water_id": water.id,
        }

    return seed(_make)


def _get(client, **params):
    response = client.get(URL, query_string=params)
    return response, (json.loads(response.data) if response.data else None)


def test_clusters_at_low_zoom_count_every_filtered_outfall_in_the_bbox(app, client, place):
    app.config["MAP_MAX_POINTS"] = 10
    rng = random.Random(3)
    with app.app_context():
        _bulk(
            [
                (21.95 + rng.uniform(-0.02, 0.02), 108.62 + rng.uniform(-0.02, 0.02))
                for _ in range(30)
            ]
            + [
                (22.45 + rng.uniform(-0.02, 0.02), 108.9 + rng.uniform(-0.02, 0.02))
                for _ in range(20)
            ],
            region_id=place["district_id"],
            water_id=place["water_id"],
        )
        # Far away (Guilin): outside the bbox, never counted.
        _bulk(
            [(25.27, 110.29)] * 5,
            region_id=place["other_id"],
            water_id=place["water_id"],
            start=100,
        )
        db.session.commit()
    response, data = _get(client, bbox=AREA, zoom=8)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert data["type"] == "FeatureCollection"
    assert data["mode"] == "clusters"
    counts = [feat["properties"]["count"] for feat in data["features"]]
    assert sum(counts) == data["total"] == 50
    assert 2 <= len(counts) <= 4
    for feat in data["features"]:
        assert feat["geometry"]["type"] == "Point"
        lon, lat = feat["geometry"]["coordinates"]
        assert 108.0 <= lon <= 109.0 and 21.5 <= lat <= 22.5
    # The mean position of the southern group lies near its centre.
    south = min(data["features"], key=lambda feat: feat["geometry"]["coordinates"][1])
    assert south["geometry"]["coordinates"][1] == pytest.approx(21.95, abs=0.03)

    # A finer zoom (queried, not cached) agrees on the total.
    _response, fine = _get(client, bbox="108.5,21.85,108.75,22.05", zoom=12)
    assert fine["mode"] == "clusters"
    assert sum(feat["properties"]["count"] for feat in fine["features"]) == 30


def test_points_when_few_with_what_a_popup_needs(app, client, seed, place):
    def _make():
        outfall = f.outfall(lat=21.951, lon=108.621, name="钦州港1#排污口")
        f.plan(outfall, status=RemediationStatus.remediating)
        f.outfall(
            lat=21.952,
            lon=108.622,
            category_l1=CategoryL1.SH,
            category_l2=None,
            water_kind=WaterKind.sea,
        )
        return outfall.code

    code = seed(_make)
    response, data = _get(client, bbox="108.61,21.94,108.63,21.96", zoom=15)
    assert response.status_code == 200
    assert data["mode"] == "points"
    assert data["total"] == 2
    by_code = {feat["properties"]["code"]: feat for feat in data["features"]}
    feat = by_code[code]
    assert feat["geometry"]["coordinates"] == [108.621, 21.951]
    assert feat["properties"] == {
        "code": code,
        "name": "钦州港1#排污口",
        "type": "GY",
        "kind": "river",
        "status": "in_service",
        "remediation": "remediating",
        "url": f"/o/{code}",
    }
    other = next(p["properties"] for c, p in by_code.items() if c != code)
    assert (other["type"], other["kind"], other["remediation"]) == ("SH", "sea", None)
    # Chinese names travel as UTF-8, not \u escapes (smaller).
    assert "钦州港1#排污口".encode() in response.data


def test_filters(app, client, place):
    with app.app_context():
        where = dict(region_id=place["district_id"], water_id=place["water_id"])
        _bulk([(21.95, 108.62)] * 3, type="GY", kind="river", start=0, **where)
        _bulk([(21.96, 108.63)] * 2, type="SH", kind="sea", start=10, **where)
        _bulk(
            [(21.97, 108.64)] * 4,
            type="NY",
            kind="river",
            start=20,
            region_id=place["other_id"],
            water_id=place["water_id"],
        )
        first_sh = db.session.scalar(
            db.select(Outfall.id).where(Outfall.category_l1 == CategoryL1.SH).limit(1)
        )
        db.session.add(
            RemediationPlan(
                outfall_id=first_sh, category="regularise", status=RemediationStatus.closed
            )
        )
        db.session.commit()

    def total(**filters):
        response, data = _get(client, bbox=AREA, zoom=9, **filters)
        assert response.status_code == 200, data
        return data["total"]

    assert total() == 9
    assert total(type="GY") == 3
    assert total(type="SH") == 2
    assert total(kind="sea") == 2
    assert total(kind="river") == 7
    assert total(remediation="closed") == 1
    assert total(region=place["city"]) == 5  # the city and its district
    assert total(type="GY", kind="sea") == 0
    # Unknown parameters are ignored (e.g. a cache buster).
    assert total(_="123") == 9


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"zoom": "8"},
        {"bbox": AREA},
        {"bbox": "1,2,3", "zoom": "8"},
        {"bbox": "a,b,c,d", "zoom": "8"},
        {"bbox": "108,21,109,NaN", "zoom": "8"},
        {"bbox": "109,21,108,22", "zoom": "8"},  # west > east
        {"bbox": "108,22,109,21", "zoom": "8"},  # south > north
        {"bbox": "-200,21,109,22", "zoom": "8"},
        {"bbox": "108,21,109,91", "zoom": "8"},
        {"bbox": "100,15,115,30", "zoom": "16"},  # a province at street zoom
        {"bbox": AREA, "zoom": "x"},
        {"bbox": AREA, "zoom": "8.5"},
        {"bbox": AREA, "zoom": "-1"},
        {"bbox": AREA, "zoom": "21"},
        {"bbox": AREA, "zoom": "8", "type": "XX"},
        {"bbox": AREA, "zoom": "8", "kind": "lake"},
        {"bbox": AREA, "zoom": "8", "remediation": "done"},
        {"bbox": AREA, "zoom": "8", "region": "abc"},
        {"bbox": AREA, "zoom": "8", "water": "0"},
    ],
)
def test_bad_parameters_get_a_400_with_a_json_error(client, params):
    response, data = _get(client, **params)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert isinstance(data["error"], str) and data["error"]
    assert "public" not in (response.headers.get("Cache-Control") or "")


def test_errors_are_translated(client):
    english = client.get(URL, query_string={"bbox": AREA}, headers={"Accept-Language": "en"})
    assert json.loads(english.data)["error"] == "The zoom parameter is required."
    bad_type = client.get(
        URL, query_string={"bbox": AREA, "zoom": 8, "type": "XX"}, headers={"Accept-Language": "en"}
    )
    assert json.loads(bad_type.data)["error"] == "Not a valid filter: type."


def test_cache_headers_let_a_cdn_serve_it(client, place):
    response, _data = _get(client, bbox=AREA, zoom=9)
    assert response.cache_control.public
    assert 0 < response.cache_control.max_age <= 300
    assert response.headers.get("ETag")
    # Same bytes in every language: no Vary on the language (the app adds Vary: Cookie
    # for its session; visitors without cookies still share one cached copy).
    assert "Accept-Language" not in response.headers.get("Vary", "")
    again = client.get(
        URL,
        query_string={"bbox": AREA, "zoom": 9},
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_response_size_does_not_grow_with_the_number_of_outfalls(app, client, place):
    rng = random.Random(7)

    def add(n, start):
        with app.app_context():
            _bulk(
                [(rng.uniform(21.8, 22.2), rng.uniform(108.4, 108.9)) for _ in range(n)],
                region_id=place["district_id"],
                water_id=place["water_id"],
                start=start,
            )
            db.session.commit()
        from portal.outfalls.clustering import clear_grid_cache

        clear_grid_cache()
        return _get(client, bbox=AREA, zoom=8)

    small_response, small = add(600, 0)
    big_response, big = add(1400, 600)
    assert (small["mode"], big["mode"]) == ("clusters", "clusters")
    assert big["total"] == 2000
    # At zoom 8 a cell is ~0.53°: the 0.4° × 0.5° area spans at most 4 cells.
    assert len(big["features"]) <= 4
    assert len(big_response.data) <= len(small_response.data) + 40
    # At a high zoom the same data still stays clustered and small.
    response, fine = _get(client, bbox="108.4,21.8,108.9,22.2", zoom=12)
    assert (
        fine["mode"] == "clusters"
        and sum(p["properties"]["count"] for p in fine["features"]) == 2000
    )
    assert len(response.data) < 150_000


def test_map_page_passes_settings_through_data_attributes(client, place):
    response = client.get("/map?type=GY&kind=river", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-api="/api/v1/outfalls/map"' in html
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert 'href="/outfalls/?type=GY&amp;kind=river"' in html  # the no-JavaScript fallback
    assert re.search(r"css/map\.[0-9a-f]{12}\.css", html) and re.search(
        r"js/map\.[0-9a-f]{12}\.js", html
    )
    assert "<script>" not in html and "style=" not in html
    assert response.cache_control.public


def test_map_page_with_bad_filters_still_renders(client, place):
    response = client.get("/map?type=XX")
    assert response.status_code == 400
    assert 'href="/outfalls/"' in response.get_data(as_text=True)


def test_expired_grid_answers_while_a_thread_recomputes_it(app, client, place, monkeypatch):
    from portal.outfalls import clustering

    now = [5000.0]
    monkeypatch.setattr(clustering.time, "monotonic", lambda: now[0])
    app.config["MAP_API_CACHE_SECONDS"] = 60

    def add(n, start):
        with app.app_context():
            _bulk(
                [(21.9 + i * 1e-4, 108.5) for i in range(n)],
                region_id=place["district_id"],
                water_id=place["water_id"],
                start=start,
            )
            db.session.commit()

    def total():
        return _get(client, bbox=AREA, zoom=8)[1]["total"]

    add(3, 0)
    assert total() == 3
    add(2, 3)
    now[0] += 30
    assert total() == 3  # fresh: the cached grid
    now[0] += 40  # expired, within the grace period: the old grid answers...
    assert total() == 3
    for thread in [t for t in clustering.threading.enumerate() if t.name == "map-grid-refresh"]:
        thread.join(timeout=10)
    assert total() == 5  # ...and the thread has put the new one in place
    add(1, 5)
    now[0] += 200  # long expired: recomputed before answering
    assert total() == 6


def test_the_map_page_prepares_the_grid_its_data_request_needs(app, client, place, monkeypatch):
    from portal.outfalls import clustering

    with app.app_context():
        _bulk(
            [(21.9, 108.5), (21.95, 108.55)],
            region_id=place["district_id"],
            water_id=place["water_id"],
        )
        db.session.commit()
    calls = []
    real = clustering.base_grid

    def counted(filters):
        calls.append((clustering.threading.current_thread().name, filters.as_args()))
        return real(filters)

    monkeypatch.setattr(clustering, "base_grid", counted)
    assert client.get("/map?type=GY").status_code == 200
    response, data = _get(client, bbox=AREA, zoom=8, type="GY")
    assert response.status_code == 200 and data["total"] == 2
    # Computed once, by the thread the page started; the data request waited for it.
    assert calls == [("map-grid-refresh", {"type": "GY"})]
