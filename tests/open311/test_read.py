"""GeoReport v2 reads, driven by the independent `georeport` client in JSON and in XML
against the portal served live, every payload checked against the spec's JSON Schemas."""

from datetime import timedelta

import pytest
import requests
from georeport import GeoReport
from sqlalchemy import select, text, update

from portal.complaints.models import Complaint, ComplaintStatus
from portal.core.clock import utcnow
from portal.extensions import db
from portal.open311.georeport import MAX_REQUESTS
from tests import factories as f
from tests.open311 import spec

FORMATS = ["json", "xml"]
REPORTER = {"name": "赵六保密", "phone": "13900001111", "email": "secret.reporter@example.test"}


def _as_list(value):
    """xmltodict gives one child as a dict, several as a list."""
    return value if isinstance(value, list) else [value]


@pytest.fixture
def reports(seed, world):
    """Three reports: one public with consent, one without, one from 100 days ago."""

    def make():
        public = f.complaint(
            outfall=world.outfall_code,
            lat=21.951234,
            lon=108.623456,
            consent=True,
            description='夜里暗管排黑水 <b>&amp; "x"',
            category="illegal_discharge",
            **REPORTER,
        ).complaint
        private = f.complaint(
            lat=21.96, lon=108.61, consent=False, description="不公开的描述", category="fish_kill"
        ).complaint
        old = f.complaint(
            lat=21.97, lon=108.60, category="fish_kill", now=utcnow() - timedelta(days=100)
        ).complaint
        private.status = ComplaintStatus.closed
        private.closed_at = utcnow()
        return {
            "public": public.tracking_no,
            "private": private.tracking_no,
            "old": old.tracking_no,
        }

    return seed(make)


def _get(url, **params):
    response = requests.get(url, params=params, timeout=10)
    return response


def _doc(response, fmt):
    return response.json() if fmt == "json" else spec.from_xml(response.content)


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_and_both_formats(live, fmt):
    response = _get(f"{live}/discovery.{fmt}")
    assert response.status_code == 200
    doc = _doc(response, fmt)
    spec.validate(doc, "discovery")
    [endpoint] = doc["endpoints"]
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_categories_with_groups_and_keywords(app, live, fmt):
    client = GeoReport(f"{live}/v2", output_format=fmt)
    services = _as_list(client.get_service_list())
    raw = _doc(_get(f"{live}/v2/services.{fmt}"), fmt)
    spec.validate(raw, "services")
    by_code = {s["service_code"]: s for s in services}
    assert list(by_code) == [
        "dry_weather",
        "abnormal_water",
        "illegal_discharge",
        "unregistered",
        "signboard",
        "remediation",
        "fish_kill",
        "other",
    ]
    fish = by_code["fish_kill"]
    assert fish["group"] == "水体与生态"
    assert "死鱼" in fish["keywords"]
    assert fish["service_name"] == "死鱼等生态异常"
    en = requests.get(f"{live}/v2/services.{fmt}", headers={"Accept-Language": "en"}, timeout=10)
    en_doc = _doc(en, fmt)
    assert en_doc[6]["service_name"] == "Fish kill or other ecological anomaly"
    assert en_doc[6]["group"] == "Water and ecology"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_lists_its_attributes(live, fmt):
    client = GeoReport(f"{live}/v2", output_format=fmt)
    definition = client.get_service_definition("signboard")
    raw = _doc(_get(f"{live}/v2/services/signboard.{fmt}"), fmt)
    spec.validate(raw, "service_definition")
    assert definition["service_code"] == "signboard"
    codes = [a["code"] for a in raw["attributes"]]
    assert codes == ["outfall_code", "consent_publish"]
    missing = _get(f"{live}/v2/services/no_such.{fmt}")
    assert missing.status_code == 404
    spec.validate(_doc(missing, fmt), "errors")
    with pytest.raises(requests.HTTPError):
        client.get_service_definition("no_such")


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_show_only_the_public_summary(live, reports, world, fmt):
    client = GeoReport(f"{live}/v2", output_format=fmt)
    found = {r["service_request_id"]: r for r in _as_list(client.get_service_requests())}
    # The report from 100 days ago is outside the default window of 90 days.
    assert set(found) == {reports["public"], reports["private"]}
    response = _get(f"{live}/v2/requests.{fmt}")
    body = response.text
    doc = _doc(response, fmt)
    spec.validate(doc, "service_requests")
    for secret in (*REPORTER.values(), "不公开的描述", "21.951234", "108.623456"):
        assert secret not in body
    by_id = {r["service_request_id"]: r for r in doc}
    public, private = by_id[reports["public"]], by_id[reports["private"]]
    assert (public["lat"], public["long"]) == (21.951, 108.623)
    assert public["description"] == '夜里暗管排黑水 <b>&amp; "x"'
    assert public["status"] == "open" and private["status"] == "closed"
    assert private["description"] is None
    assert public["address_id"] == world.outfall_code
    assert public["agency_responsible"] == "市工业和信息化局"
    assert public["service_code"] == "illegal_discharge"
    assert public["requested_datetime"].endswith("+08:00")
    # Newest first.
    assert [r["service_request_id"] for r in doc] == [reports["private"], reports["public"]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_filters(live, reports, fmt):
    client = GeoReport(f"{live}/v2", output_format=fmt)

    def ids(**params):
        doc = _doc(_get(f"{live}/v2/requests.{fmt}", **params), fmt)
        spec.validate(doc, "service_requests")
        return {r["service_request_id"] for r in doc}

    assert ids(status="open") == {reports["public"]}
    assert ids(status="closed") == {reports["private"]}
    assert ids(status="open,closed") == {reports["public"], reports["private"]}
    assert ids(service_code="fish_kill") == {reports["private"]}
    assert ids(service_code="fish_kill,illegal_discharge") == {
        reports["public"],
        reports["private"],
    }
    # The ids override every other filter, the old report included; typed loosely.
    loose = reports["old"].lower().replace("-", "")
    listed = _as_list(
        client.get_service_requests(
            service_request_id=f"{reports['public']},{loose}", status="closed"
        )
    )
    assert {r["service_request_id"] for r in listed} == {reports["public"], reports["old"]}
    now = utcnow()
    window = {
        "start_date": (now - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": (now - timedelta(days=95)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert ids(**window) == {reports["old"]}
    # A start alone: the 90 days from it.
    assert ids(start_date=window["start_date"]) == {reports["old"]}
    assert ids(end_date=(now + timedelta(days=1)).isoformat()) == {
        reports["public"],
        reports["private"],
    }


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"end_date": "2026-13-01T00:00:00Z"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},
        {"service_code": "no_such"},
        {"status": "pending"},
        {"service_request_id": ",".join(f"TS-2026-{i:06d}" for i in range(101))},
    ],
)
def test_bad_filters_are_400_error_arrays(live, fmt, params):
    response = _get(f"{live}/v2/requests.{fmt}", **params)
    assert response.status_code == 400, params
    doc = _doc(response, fmt)
    spec.validate(doc, "errors")
    assert doc[0]["code"] == 400
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_by_its_tracking_number(live, reports, fmt):
    client = GeoReport(f"{live}/v2", output_format=fmt)
    one = client.get_service_request(reports["public"])
    assert one["service_request_id"] == reports["public"]
    doc = _doc(_get(f"{live}/v2/requests/{reports['public']}.{fmt}"), fmt)
    spec.validate(doc, "service_requests")
    assert len(doc) == 1
    # The old report is found by its number whatever its age.
    assert client.get_service_request(reports["old"])["service_request_id"] == reports["old"]
    missing = _get(f"{live}/v2/requests/TS-2026-999999.{fmt}")
    assert missing.status_code == 404
    spec.validate(_doc(missing, fmt), "errors")


def test_json_and_xml_say_the_same(live, reports):
    for path in (
        "discovery",
        "v2/services",
        "v2/services/fish_kill",
        "v2/requests",
        f"v2/requests/{reports['public']}",
    ):
        as_json = _get(f"{live}/{path}.json").json()
        as_xml = spec.from_xml(_get(f"{live}/{path}.xml").content)
        assert as_json == as_xml, path


def test_reads_are_cacheable_for_any_origin(live, reports):
    response = _get(f"{live}/v2/requests.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"]
    assert "max-age" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = requests.get(f"{live}/v2/requests.json", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304
    assert _get(f"{live}/v2/requests.xml").headers["Content-Type"].startswith("text/xml")
    preflight = requests.options(f"{live}/v2/services.json", timeout=10)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_at_most_1000_requests_newest_first(app, seed, world, live):
    from portal.demo.synthetic_complaints import generate_synthetic_complaints

    def make():
        generate_synthetic_complaints(db.session, MAX_REQUESTS + 5)
        db.session.flush()
        # All of them inside the window, one minute apart.
        now = utcnow()
        for i, complaint_id in enumerate(db.session.scalars(select(Complaint.id))):
            db.session.execute(
                update(Complaint)
                .where(Complaint.id == complaint_id)
                .values(created_at=now - timedelta(minutes=i + 1))
            )

    seed(make)
    doc = _get(f"{live}/v2/requests.json").json()
    spec.validate(doc, "service_requests")
    assert len(doc) == MAX_REQUESTS
    times = [r["requested_datetime"] for r in doc]
    assert times == sorted(times, reverse=True)
    with app.app_context():
        assert db.session.scalar(text("SELECT COUNT(*) FROM complaints")) == MAX_REQUESTS + 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_expected_datetime_is_the_public_completion_deadline(app, live, reports, fmt):
    from portal.core.clock import local_iso as iso

    with app.app_context():
        due = db.session.scalar(
            select(Complaint.complete_due_at).where(Complaint.tracking_no == reports["public"])
        )
    assert due is not None  # routed on intake: its working-day deadline is known
    public = _doc(_get(f"{live}/v2/requests/{reports['public']}.{fmt}"), fmt)
    closed = _doc(_get(f"{live}/v2/requests/{reports['private']}.{fmt}"), fmt)
    assert public[0]["expected_datetime"] == iso(due)
    assert not closed[0]["expected_datetime"]  # closed: nothing is expected any more
