"""The read endpoints of /api/v1: shapes, filters, keyset pages, errors, headers."""

import pytest

from portal.extensions import db
from tests import factories as f


@pytest.fixture
def registry(seed):
    """Three outfalls (one with approval, plan, monitoring over its limit) and a complaint."""

    def build():
        water = f.water_body()
        area = f.region(code="450702")
        first = f.outfall(code="TW0001450702GY0001", region=area, water_body=water)
        f.outfall(code="TW0001450702GY0002", region=area, water_body=water)
        f.outfall(code="TW0001450702SH0003", category_l1="SH", category_l2=None)
        f.approval(first, limits={"cod": 30})
        f.plan(first)
        f.monitoring(first, cod=45.0)
        receipt = f.complaint(outfall=first.code, consent=True)
        db.session.commit()
        return {
            "water": water.id,
            "dept": first.supervising_department_id,
            "complaint": receipt.complaint.tracking_no,
        }

    return seed(build)


def test_outfall_list_pages_by_code_with_a_next_cursor(client, registry):
    first = client.get("/api/v1/outfalls?limit=2")
    assert first.status_code == 200
    body = first.get_json()
    assert [o["code"] for o in body["items"]] == ["TW0001450702GY0001", "TW0001450702GY0002"]
    assert body["next"] == "TW0001450702GY0002"
    rest = client.get(body["next_url"].replace("http://localhost", "")).get_json()
    assert [o["code"] for o in rest["items"]] == ["TW0001450702SH0003"]
    assert rest["next"] is None
    assert body["items"][0]["remediation"]["status"] == "remediating"
    assert body["items"][0]["updated_at"].endswith("+08:00")


def test_outfall_list_takes_the_list_pages_filters(client, registry):
    body = client.get("/api/v1/outfalls?type=SH").get_json()
    assert [o["code"] for o in body["items"]] == ["TW0001450702SH0003"]
    body = client.get(f"/api/v1/outfalls?water={registry['water']}").get_json()
    assert len(body["items"]) == 2
    body = client.get("/api/v1/outfalls?region=450702&remediation=remediating").get_json()
    assert [o["code"] for o in body["items"]] == ["TW0001450702GY0001"]


@pytest.mark.parametrize(
    "query",
    ["limit=1001", "limit=0", "limit=abc", "type=XX", "region=abc", "water=0", "status=gone"],
)
def test_bad_parameters_are_a_json_400(client, registry, query):
    response = client.get(f"/api/v1/outfalls?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["message"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/outfalls/TW9999450702GY9999",
        "/api/v1/regions/999999",
        "/api/v1/water-bodies/99999",
        "/api/v1/departments/99999/months",
        "/api/v1/complaints/TS-2026-999999",
        "/api/v1/approvals?outfall=TW9999450702GY9999",
    ],
)
def test_unknown_codes_are_a_json_404(client, registry, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


@pytest.mark.parametrize(
    "query", ["decided_from=2024-13-01", "decided_from=2024-02-30", "decided_to=yesterday"]
)
def test_bad_dates_are_refused(client, registry, query):
    assert client.get(f"/api/v1/approvals?{query}").status_code == 400


def test_one_outfall_has_approvals_plan_and_flagged_monitoring(client, registry):
    body = client.get("/api/v1/outfalls/tw0001-450702-gy0001").get_json()
    assert body["code"] == "TW0001450702GY0001"
    assert body["approvals"][0]["limits"] == {"cod": 30}
    assert body["remediation_plan"]["milestones"][0]["due_on"] == "2025-06-30"
    sample = body["latest_monitoring"][0]
    assert sample["exceeded"] == ["cod"] and sample["exceedances"][0]["limit"] == 30
    assert sample["sampled_at"] == "2026-10-01T10:00:00+08:00"
    assert body["responsible_entities"][0]["is_primary"] is True


def test_monitoring_list_flags_exceedances_as_the_pages_do(client, registry):
    body = client.get("/api/v1/monitoring?outfall=TW0001450702GY0001").get_json()
    assert [s["exceeded"] for s in body["items"]] == [["cod"]]
    assert client.get("/api/v1/monitoring?sampled_from=2026-10-02").get_json()["items"] == []
    assert len(client.get("/api/v1/monitoring?sampled_to=2026-10-01").get_json()["items"]) == 1


def test_approvals_and_remediation_lists(client, registry):
    approvals = client.get("/api/v1/approvals?kind=approval").get_json()["items"]
    assert approvals[0]["decided_on"] == "2024-03-01"
    assert client.get("/api/v1/approvals?kind=filing").get_json()["items"] == []
    plans = client.get("/api/v1/remediation?status=remediating").get_json()["items"]
    assert plans[0]["outfall_code"] == "TW0001450702GY0001"
    assert client.get("/api/v1/remediation?category=ban").get_json()["items"] == []


def test_reference_lists(client, registry):
    regions = client.get("/api/v1/regions").get_json()["items"]
    assert "450702" in {r["code"] for r in regions}
    assert client.get("/api/v1/regions/450702").get_json()["code"] == "450702"
    waters = client.get("/api/v1/water-bodies").get_json()["items"]
    assert registry["water"] in {w["id"] for w in waters}
    depts = client.get("/api/v1/departments").get_json()["items"]
    assert registry["dept"] in {d["id"] for d in depts}
    months = client.get(f"/api/v1/departments/{registry['dept']}/months").get_json()
    assert months["department"]["id"] == registry["dept"]
    bad = client.get(f"/api/v1/departments/{registry['dept']}/months?from=2026-13")
    assert bad.status_code == 400


def test_complaints_show_only_the_public_summary(client, registry):
    items = client.get("/api/v1/complaints").get_json()["items"]
    assert [c["tracking_no"] for c in items] == [registry["complaint"]]
    one = client.get(f"/api/v1/complaints/{registry['complaint']}").get_json()
    text = str(one)
    assert "王五" not in text and "13712345678" not in text and "wangwu" not in text
    assert one["lat"] == round(one["lat"], 3)
    assert one["description"]  # the reporter consented
    assert client.get("/api/v1/complaints?category=nope").status_code == 404
    assert client.get("/api/v1/complaints?after=1.x").status_code == 400


def test_responses_are_public_cacheable_and_open_to_other_origins(client, registry):
    response = client.get("/api/v1/outfalls")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=60" in response.headers["Cache-Control"]
    again = client.get("/api/v1/outfalls", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    preflight = client.options("/api/v1/outfalls")
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_api_is_rate_limited_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.get("/api/v1/regions").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/v1/regions")
    assert refused.get_json()["error"]["status"] == 429
    other = client.get("/api/v1/regions", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
