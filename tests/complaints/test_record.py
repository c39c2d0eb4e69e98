"""The public record: /complaints/, its filters and pages, the map layer, the outfall pages'
reports — and that none of them shows who reported, the exact place or unconsented text."""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.complaints.models import Complaint, ComplaintStatus
from portal.core.clock import utcnow
from portal.extensions import db
from tests import factories as f

EN = {"Accept-Language": "en"}


@dataclass
class Record:
    near: str  # outfall in 钦南区 on 钦江
    far: str  # outfall in 灵山县 on 茅岭江
    dept: int
    region_near: str
    region_far: str
    water_near: int
    numbers: dict  # name -> tracking number


@pytest.fixture
def rec(seed):
    def make():
        city = f.region(code="450700", name="钦州市")
        south = f.region(code="450702", name="钦南区", parent_id=city.id)
        ling = f.region(code="450721", name="灵山县", parent_id=city.id)
        river = f.water_body(name="钦江")
        other = f.water_body(name="茅岭江")
        near = f.outfall(region=south, water_body=river, lat=21.95, lon=108.62)
        far = f.outfall(region=ling, water_body=other, lat=22.41, lon=109.29)
        dept = f.department(slug="housing", name="市住房城乡建设局")
        now = utcnow()
        numbers = {}
        numbers["old"] = f.complaint(
            outfall=near.code, now=now - timedelta(days=200), description="旧的报告"
        ).complaint.tracking_no
        numbers["secret"] = f.complaint(
            outfall=near.code,
            lat=21.951234,
            lon=108.623456,
            description="不公开的描述：我家楼下",
            name="赵六",
            phone="13900001111",
            email="zhaoliu@example.com",
        ).complaint.tracking_no
        receipt = f.complaint(
            category="abnormal_water",
            outfall=far.code,
            consent=True,
            description="公开的描述：臭味很大",
            channel="phone_12369",
        )
        receipt.complaint.department_id = dept.id
        receipt.complaint.status = ComplaintStatus.in_progress
        numbers["public"] = receipt.complaint.tracking_no
        return Record(near.code, far.code, dept.id, "450702", "450721", river.id, numbers)

    return seed(make)


def _numbers(client, **query) -> list[str]:
    r = client.get("/complaints/", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    found = []
    for number in ("TS-",):
        start = 0
        while (i := page.find('translate="no">' + number, start)) >= 0:
            j = page.index("<", i)
            found.append(page[i + len('translate="no">') : j])
            start = j
    return found


def test_the_list_shows_every_report_newest_first_with_channel_and_department(client, rec):
    n = rec.numbers
    assert _numbers(client) == [n["public"], n["secret"], n["old"]]
    page = client.get("/complaints/", headers=EN).get_data(as_text=True)
    assert "Phone (12369 hotline)" in page and "Online form" in page
    assert f'href="/departments/{rec.dept}"' in page
    assert "市住房城乡建设局" in client.get("/complaints/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "in_progress"}, ["public"]),
        ({"status": "submitted"}, ["secret", "old"]),
        ({"category": "abnormal_water"}, ["public"]),
        ({"region": "450702"}, ["secret", "old"]),
        ({"region": "450700"}, ["public", "secret", "old"]),  # a city includes its districts
        ({"outfall": "{far}"}, ["public"]),
        ({"outfall": "{far_lower}"}, ["public"]),  # typed codes are normalised
        ({"department": "{dept}"}, ["public"]),
        ({"period": "90d"}, ["public", "secret"]),
        ({"period": "30d", "status": "submitted"}, ["secret"]),
    ],
)
def test_each_filter_narrows_the_list(client, rec, query, expected):
    values = {"far": rec.far, "far_lower": rec.far.lower(), "dept": str(rec.dept)}
    query = {k: v.format(**values) for k, v in query.items()}
    assert _numbers(client, **query) == [rec.numbers[name] for name in expected]


def test_the_water_body_filter_uses_the_outfalls_water(client, rec):
    assert _numbers(client, water=rec.water_near) == [rec.numbers["secret"], rec.numbers["old"]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "lost"}, "Not a status of a report."),
        ({"status": "drop table"}, "Not a status of a report."),
        ({"category": "nonsense"}, "Not a kind of problem reports have."),
        ({"region": "abc"}, "Not a region code."),
        ({"region": "999999"}, "Unknown region code."),
        ({"water": "0"}, "Not a water body."),
        ({"water": "99999"}, "Not a water body."),
        ({"water": "x"}, "Not a valid integer value."),
        ({"outfall": "QT4507029999"}, "No outfall has the code QT4507029999."),
        ({"department": "99999"}, "Not a department."),
        ({"department": "99999999999999"}, "This number is too large."),
        ({"period": "1999"}, "Choose one of the periods offered."),
        ({"period": "2026-13"}, "Choose one of the periods offered."),
        ({"period": "7d"}, "Choose one of the periods offered."),
        ({"after": "garbage"}, "This page link is not valid."),
        ({"after": "1.-5"}, "This page link is not valid."),
    ],
)
def test_a_bad_filter_value_is_a_translated_400(client, rec, query, message):
    r = client.get("/complaints/", query_string=query, headers=EN)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert message in page
    assert "Some filters are not valid; nothing was filtered." in page
    zh = client.get("/complaints/", query_string=query).get_data(as_text=True)
    assert message not in zh  # the Chinese page says it in Chinese
    assert "筛选条件" in zh


def test_keyset_pages_walk_every_report_once(make_app):
    app = make_app(RECORD_PAGE_SIZE=2)
    client = app.test_client()

    def make():
        outfall = f.outfall(lat=21.95, lon=108.62)
        now = utcnow()
        # Two reports in the same microsecond: the id breaks the tie.
        same = now - timedelta(hours=1)
        made = [f.complaint(outfall=outfall.code, now=same) for _ in range(2)]
        made += [f.complaint(outfall=outfall.code, now=now - timedelta(hours=h)) for h in (2, 3)]
        made.append(f.complaint(outfall=outfall.code, now=now))
        return [r.complaint.tracking_no for r in made]

    with app.app_context():
        made = make()
        db.session.commit()
    seen, url = [], "/complaints/"
    while url:
        r = client.get(url)
        assert r.status_code == 200
        page = r.get_data(as_text=True)
        seen += sorted((n for n in made if n in page), key=page.index)
        marker = 'rel="next" href="'
        url = page[page.index(marker) + len(marker) :].split('"')[0] if marker in page else None
        url = url.replace("&amp;", "&") if url else None
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen)) == 5
    assert seen[0] == made[-1]  # newest first


def test_confidential_fields_appear_on_no_public_page_feed_or_api(client, rec):
    secret = rec.numbers["secret"]
    pages = [
        "/complaints/",
        f"/complaints/?outfall={rec.near}",
        f"/complaints/{secret}",
        f"/outfalls/{rec.near}",
        f"/o/{rec.near}",
        f"/complaints/nearby.json?outfall={rec.near}",
        "/api/v1/complaints/map?bbox=108,21,110,23",
        f"/api/v1/complaints/map?bbox=108,21,110,23&outfall={rec.near}",
    ]
    for url in pages:
        for headers in ({}, EN):
            with client.get(url, headers=headers) as r:
                assert r.status_code == 200, url
                body = r.get_data(as_text=True)
            for leak in (
                "赵六",
                "13900001111",
                "zhaoliu@example.com",
                "王五",  # the factory's default reporter of the other reports
                "13712345678",
                "wangwu@example.com",
                "21.951234",
                "108.623456",
                "21.9512",
                "108.6234",
                "不公开的描述",
                "旧的报告",
            ):
                assert leak not in body, (url, leak)
    # What was consented is public.
    assert "公开的描述：臭味很大" in client.get("/complaints/").get_data(as_text=True)


def test_the_map_layer_is_rounded_geojson_with_cache_headers(client, rec):
    with client.get("/api/v1/complaints/map?bbox=108,21,110,23") as r:
        assert r.status_code == 200
        assert r.mimetype == "application/geo+json"
        assert "public" in r.headers["Cache-Control"] and "max-age" in r.headers["Cache-Control"]
        assert r.headers.get("ETag")
        data = json.loads(r.get_data(as_text=True))
    points = {ft["properties"]["tracking_no"]: ft for ft in data["features"]}
    assert set(points) == set(rec.numbers.values())
    lon, lat = points[rec.numbers["secret"]]["geometry"]["coordinates"]
    assert (lat, lon) == (21.951, 108.623)
    props = points[rec.numbers["public"]]["properties"]
    assert props["channel"] == "phone_12369" and props["status"] == "in_progress"
    assert set(props) == {"tracking_no", "category", "status", "channel", "received", "url"}
    assert data["truncated"] is False
    with client.get("/api/v1/complaints/map?bbox=108,21,110,23&status=in_progress") as r:
        assert [ft["properties"]["tracking_no"] for ft in r.get_json()["features"]] == [
            rec.numbers["public"]
        ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "The bbox parameter is required"),
        ("bbox=1,2,3", "The bbox must be four numbers"),
        ("bbox=nan,1,2,3", "The bbox must be four numbers"),
        ("bbox=200,1,2,3", "The bbox must lie within"),
        ("bbox=110,21,108,23", "west before east"),
        ("bbox=108,21,110,23&status=lost", "Not a status of a report."),
        ("bbox=108,21,110,23&category=x", "Not a kind of problem reports have."),
        ("bbox=108,21,110,23&period=1999", "Choose one of the periods offered."),
        ("bbox=108,21,110,23&department=abc", "Not a valid integer value."),
    ],
)
def test_the_map_layer_refuses_bad_input_with_json(client, rec, query, message):
    with client.get(f"/api/v1/complaints/map?{query}", headers=EN) as r:
        assert r.status_code == 400
        assert r.mimetype == "application/json"
        assert message in r.get_json()["error"]
        assert "no-store" in r.headers["Cache-Control"]


def test_the_map_layer_says_when_it_left_points_out(make_app):
    app = make_app(COMPLAINT_MAP_MAX_POINTS=1)
    with app.app_context():
        code = f.outfall(lat=21.95, lon=108.62).code
        f.complaint(outfall=code)
        f.complaint(outfall=code)
        db.session.commit()
    with app.test_client().get("/api/v1/complaints/map?bbox=108,21,110,23") as r:
        data = r.get_json()
    assert len(data["features"]) == 1 and data["truncated"] is True


def test_outfall_pages_count_the_last_90_days_and_list_the_latest(client, rec):
    for url in (f"/o/{rec.near}", f"/outfalls/{rec.near}"):
        page = client.get(url, headers=EN).get_data(as_text=True)
        assert "Reports about this outfall" in page
        assert "1 report in the last 90 days" in page  # the 200-day-old one is not counted
        assert "1 still being handled" in page
        assert rec.numbers["secret"] in page and rec.numbers["old"] not in page
        assert f"/complaints/?outfall={rec.near}" in page


def test_an_outfall_without_recent_reports_says_so(client, seed):
    code = seed(lambda: f.outfall().code)
    page = client.get(f"/o/{code}", headers=EN).get_data(as_text=True)
    assert "No reports in the last 90 days." in page


def test_the_public_summary_shows_the_channel(client, rec):
    page = client.get(f"/complaints/{rec.numbers['public']}", headers=EN).get_data(as_text=True)
    assert "Phone (12369 hotline)" in page


def test_merged_and_triage_reports_are_listed_too(app, client, rec):
    with app.app_context():
        c = db.session.scalar(select(Complaint).where(Complaint.tracking_no == rec.numbers["old"]))
        c.status = ComplaintStatus.merged
        db.session.commit()
    assert rec.numbers["old"] in _numbers(client, status="merged")


@pytest.mark.parametrize(
    "bbox",
    [
        "108.60,21.94,108.64,21.96",  # one or two 0.1° cells
        "108,21,110,23",  # 0.1° cells
        "104,20,112,26",  # 1° cells that hold reports
        "73,18,135,54",  # the whole country: the newest, kept if inside
    ],
)
def test_every_way_of_reading_a_viewport_finds_the_same_newest_reports(make_app, bbox):
    app = make_app(COMPLAINT_MAP_MAX_POINTS=3)
    with app.app_context():
        now = utcnow()
        a = f.outfall(lat=21.95, lon=108.62).code
        b = f.outfall(lat=21.951, lon=108.631).code  # another 0.1° cell
        made = [
            f.complaint(outfall=code, now=now - timedelta(minutes=m)).complaint.tracking_no
            for m, code in enumerate([a, b, b, a, b])
        ]
        f.complaint(outfall=a, lat=10.5, lon=100.3)  # outside every viewport, newest of all
        db.session.commit()
    with app.test_client().get(f"/api/v1/complaints/map?bbox={bbox}") as r:
        data = r.get_json()
    assert [ft["properties"]["tracking_no"] for ft in data["features"]] == made[:3]
    assert data["truncated"] is True


def test_map_cells_number_squares_from_the_south_west():
    from portal.complaints.models import map_cells

    assert map_cells(-90, -180) == (0, 0)
    assert map_cells(21.95, 108.62) == (111 * 360 + 288, 1119 * 3600 + 2886)
    assert map_cells(21.99999, 108.69999)[1] == map_cells(21.9, 108.6)[1]


def test_a_province_includes_every_level_below_it(client, rec, seed):
    def make():
        from portal.geo.models import Region

        province = f.region(code="450000", name="广西壮族自治区")
        city = db.session.scalar(select(Region).where(Region.code == "450700"))
        city.parent_id = province.id

    seed(make)
    assert len(_numbers(client, region="450000")) == 3
