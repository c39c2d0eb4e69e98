"""Public registry pages through the test client."""

import re
from datetime import UTC, date, datetime

import pytest

from portal.extensions import db
from portal.outfalls.models import (
    CategoryL1,
    CategoryL2,
    OutfallStatus,
    RemediationStatus,
    WaterKind,
    Weather,
)
from tests import factories as f


def _sample(**kw):
    """One fully described outfall; returns its code."""
    outfall = f.outfall(**kw)
    f.approval(outfall, limits={"cod": 30, "ph_min": 6, "ph_max": 9})
    f.plan(outfall)
    f.monitoring(outfall, cod=45.5)
    return outfall.code


@pytest.fixture
def code(seed):
    return seed(_sample)


def test_home_shows_headline_figures(client, code):
    r = client.get("/", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert 'lang="zh-Hans"' in page
    assert "工业排污口" in page
    assert 'action="/o/"' in page


def test_home_without_any_data_still_renders(client):
    assert client.get("/").status_code == 200


def test_list_shows_outfalls_and_filters_by_type(client, seed, code):
    other = seed(lambda: f.outfall(category_l1=CategoryL1.SH, category_l2=CategoryL2.sh_wwtp).code)
    page = client.get("/outfalls/?type=SH").get_data(as_text=True)
    assert other in page and code not in page
    page = client.get("/outfalls/").get_data(as_text=True)
    assert other in page and code in page


def test_list_filters_by_region_including_its_children(client, seed):
    def make():
        city = f.region(code="450700", name="钦州市")
        county = f.region(code="450702", name="钦南区", parent_id=city.id)
        inside = f.outfall(region=county)
        outside = f.outfall()
        return inside.code, outside.code

    inside, outside = seed(make)
    for region in ("450700", "450702"):
        page = client.get(f"/outfalls/?region={region}").get_data(as_text=True)
        assert inside in page and outside not in page


def test_list_filters_by_water_kind_remediation_and_water_body(client, seed):
    def make():
        sea = f.outfall(water_kind=WaterKind.sea)
        river = f.outfall()
        f.plan(river, status=RemediationStatus.closed)
        return sea.code, river.code, river.water_body_id

    sea, river, water_id = seed(make)
    assert sea in client.get("/outfalls/?kind=sea").get_data(as_text=True)
    assert river not in client.get("/outfalls/?kind=sea").get_data(as_text=True)
    page = client.get("/outfalls/?remediation=closed").get_data(as_text=True)
    assert river in page and sea not in page
    page = client.get(f"/outfalls/?water={water_id}").get_data(as_text=True)
    assert river in page and sea not in page


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=0",
        "page=abc",
        "type=ZZ",
        "kind=lake",
        "region=abc",
        "water=-3",
        "remediation=done",
        "status=gone",
    ],
)
def test_bad_list_parameters_get_a_translated_400(client, code, query):
    r = client.get(f"/outfalls/?{query}", headers={"Accept-Language": "en"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Some filters are not valid" in page
    assert code not in page  # nothing was listed
    r = client.get(f"/outfalls/?{query}", headers={"Accept-Language": "zh"})
    assert "筛选条件无效" in r.get_data(as_text=True)


def test_a_page_beyond_the_last_is_not_found(client, code):
    assert client.get("/outfalls/?page=2").status_code == 404


def test_list_pages_through_results(app, client, seed):
    app.config["PAGE_SIZE"] = 2
    codes = seed(lambda: sorted(f.outfall().code for _ in range(5)))
    first = client.get("/outfalls/").get_data(as_text=True)
    third = client.get("/outfalls/?page=3").get_data(as_text=True)
    assert codes[0] in first and codes[2] not in first
    assert codes[4] in third and codes[0] not in third
    assert 'rel="next"' in first and 'rel="prev"' in third


def test_outfall_page_shows_everything_public(client, code):
    page = client.get(f"/outfalls/{code}", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "钦环审〔2024〕1号" in page  # approval
    assert "设置规范化检查井" in page  # remediation measures
    assert "安装标识牌" in page  # milestone
    assert "45.5" in page and 'class="num exceeds"' in page  # COD above the permit's 30
    assert "审批中规定的限值" in page  # the standard is named
    assert 'id="outfall-map"' in page and "21.95000° N" in page
    assert re.search(r"leaflet-1\.9\.4/leaflet\.[0-9a-f]{12}\.js", page)


def test_unknown_outfall_page_is_a_helpful_404(client):
    r = client.get("/outfalls/NOSUCH0001", headers={"Accept-Language": "en"})
    assert r.status_code == 404
    assert "No outfall with this code" in r.get_data(as_text=True)


def test_water_body_page_groups_outfalls_by_type_and_status(client, seed):
    def make():
        water = f.water_body(name="钦江")
        a = f.outfall(water_body=water)
        b = f.outfall(
            water_body=water,
            category_l1=CategoryL1.YH,
            category_l2=CategoryL2.yh_storm,
            status=OutfallStatus.banned,
            status_since=date(2024, 1, 5),
        )
        return water.id, a.code, b.code

    water_id, a, b = seed(make)
    r = client.get(f"/waters/{water_id}", headers={"Accept-Language": "zh"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "钦江" in page and a in page and b in page
    assert f"/outfalls/?water={water_id}&amp;type=YH&amp;status=banned" in page
    assert client.get("/waters/999999").status_code == 404


def test_approval_document_is_served(app, client, seed):
    from portal.core.storage import FileStore
    from portal.outfalls.models import ApprovalDocument

    def make():
        outfall = f.outfall()
        appr = f.approval(outfall)
        sha = FileStore(app.config["UPLOAD_DIR"]).put(b"%PDF-1.4 test")
        doc = ApprovalDocument(
            approval=appr, title="批复", filename="pifu.pdf", size=13, sha256=sha
        )
        db.session.add(doc)
        db.session.flush()
        return doc.id

    doc_id = seed(make)
    with client.get(f"/documents/{doc_id}/pifu.pdf") as r:
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        assert r.get_data() == b"%PDF-1.4 test"
    assert (
        client.get(f"/documents/{doc_id}/other.pdf")
        .headers["Location"]
        .endswith(f"/documents/{doc_id}/pifu.pdf")
    )
    assert client.get("/documents/999/pifu.pdf").status_code == 404


def test_public_pages_are_cacheable_and_revalidate(client, code):
    r = client.get(f"/o/{code}")
    assert "public" in r.headers["Cache-Control"] and "max-age=" in r.headers["Cache-Control"]
    assert "Accept-Language" in r.headers["Vary"]
    assert "Set-Cookie" not in r.headers  # a CDN may store it
    again = client.get(f"/o/{code}", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_every_page_sends_a_strict_content_security_policy(client, code):
    r = client.get(f"/outfalls/{code}")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in r.get_data(as_text=True)  # no inline script anywhere
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_language_switch_sets_a_cookie_and_returns_to_the_page(client, code):
    r = client.get(f"/lang/en?next=/o/{code}")
    assert r.headers["Location"].endswith(f"/o/{code}")
    assert "lang=en" in r.headers["Set-Cookie"]
    assert "Responsible entity" in client.get(f"/o/{code}").get_data(as_text=True)
    client.get("/lang/zh?next=/")
    assert "责任主体" in client.get(f"/o/{code}").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client):
    for target in ("https://evil.example/", "//evil.example/", "evil"):
        location = client.get("/lang/en", query_string={"next": target}).headers["Location"]
        assert "evil" not in location


def test_monitoring_in_dry_weather_at_a_stormwater_outfall_is_flagged(client, seed):
    def make():
        outfall = f.outfall(category_l1=CategoryL1.YH, category_l2=CategoryL2.yh_storm)
        f.monitoring(
            outfall,
            weather=Weather.dry,
            flow_m3s=0.03,
            cod=10,
            nh3n=0.5,
            tn=0.8,
            tp=0.1,
            sampled_at=datetime(2026, 9, 1, tzinfo=UTC),
        )
        return outfall.code

    code = seed(make)
    page = client.get(f"/o/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "in dry weather at a stormwater outfall" in page


def test_each_sample_is_judged_by_the_approval_in_force_when_it_was_taken(client, seed):
    def make():
        outfall = f.outfall()
        f.approval(outfall, decided_on=date(2024, 1, 1), limits={"cod": 100})
        f.approval(
            outfall,
            decided_on=date(2026, 1, 1),
            limits={"cod": 30},
            decision_no="钦环审〔2026〕1号",
        )
        f.monitoring(outfall, cod=60.0, sampled_at=datetime(2025, 6, 1, tzinfo=UTC))
        f.monitoring(outfall, cod=61.0, sampled_at=datetime(2026, 6, 1, tzinfo=UTC))
        return outfall.code

    code = seed(make)
    page = client.get(f"/outfalls/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "COD 61 mg/L exceeds the limit 30 mg/L" in page
    assert "COD 60 mg/L exceeds" not in page  # within the 2024 approval's 100 mg/L


def test_water_body_page_shows_a_few_of_each_type_and_links_to_the_rest(client, seed):
    def make():
        water = f.water_body()
        codes = [f.outfall(water_body=water).code for _ in range(23)]
        return water.id, sorted(codes)

    water_id, codes = seed(make)
    page = client.get(f"/waters/{water_id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert codes[19] in page and codes[20] not in page
    assert "All 23 outfalls of this type" in page
    assert f"/outfalls/?water={water_id}&amp;type=GY" in page
