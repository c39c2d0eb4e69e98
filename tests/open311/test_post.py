"""POST requests by hand: through the web form's intake (routing, deadlines, outbox,
confidentiality), the key's checks, the spec's errors, photos as multipart `media`, and a
`media_url` that is never fetched."""

import http.server
import io
import threading
import urllib.request

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.complaints.models import Complaint, ComplaintPhoto, Reporter
from portal.core.storage import FileStore
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.open311.models import ApiKey
from tests.images import QINZHOU, phone_jpeg, upload
from tests.open311 import spec

URL = "/open311/v2/requests.json"


def _post(client, api_key, fmt="json", **fields):
    data = {
        "api_key": api_key,
        "service_code": "illegal_discharge",
        "lat": "21.9512",
        "long": "108.6201",
        "description": "排口夜间排放黑水，有异味。",
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/open311/v2/requests.{fmt}", data=data, content_type="multipart/form-data")


def _doc(response, fmt="json"):
    return response.get_json() if fmt == "json" else spec.from_xml(response.get_data())


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_files_a_report_as_the_web_form_would(app, client, world, api_key, fmt):
    response = client.post(
        f"/open311/v2/requests.{fmt}",
        data={
            "api_key": api_key,
            "service_code": "illegal_discharge",
            "attribute[outfall_code]": world.outfall_code,
            "attribute[consent_publish]": "true",
            "description": "排口夜间排放黑水，有异味。",
            "email": "li.si@example.com",
            "first_name": "四",
            "last_name": "李",
            "phone": "13712340000",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    doc = _doc(response, fmt)
    spec.validate(doc, "post_response")
    number = doc[0]["service_request_id"]
    assert number.startswith("TS-")
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        case = db.session.scalars(select(Complaint)).one()
        assert case.tracking_no == number
        assert case.channel == "open311"
        assert case.outfall.code == world.outfall_code
        # Routed by the same rules as a web report: the supervising bureau, deadlines set.
        assert case.department_id == world.industry
        assert case.accept_due_at is not None and case.complete_due_at is not None
        assert case.consent_publish
        reporter = db.session.get(Reporter, case.id)
        assert not reporter.anonymous
        assert (reporter.email, reporter.phone) == ("li.si@example.com", "13712340000")
        assert reporter.name == "四 李"
        mail = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "li.si@example.com")
        ).all()
        assert len(mail) == 1 and number in mail[0].subject
        key = db.session.scalars(select(ApiKey)).one()
        assert key.last_used_at is not None
    # What others read of it is the public summary: no reporter.
    public = client.get(f"/open311/v2/requests/{number}.json")
    assert public.status_code == 200
    for secret in ("li.si@example.com", "13712340000", "李"):
        assert secret not in public.get_data(as_text=True)


def test_an_anonymous_post_is_anonymous_and_its_token_leads_to_the_number(app, client, api_key):
    response = _post(client, api_key)
    assert response.status_code == 200
    [receipt] = response.get_json()
    with app.app_context():
        case = db.session.scalars(select(Complaint)).one()
        assert db.session.get(Reporter, case.id).anonymous
        assert (case.lat, case.lon) == (21.9512, 108.6201)
    for fmt in ("json", "xml"):
        found = client.get(f"/open311/v2/tokens/{receipt['token']}.{fmt}")
        assert found.status_code == 200
        doc = _doc(found, fmt)
        spec.validate(doc, "tokens")
        assert doc[0]["service_request_id"] == receipt["service_request_id"]
    forged = receipt["token"][:-2] + ("AA" if not receipt["token"].endswith("AA") else "BB")
    for token in (forged, "1-abc", "nonsense"):
        missing = client.get(f"/open311/v2/tokens/{token}.json")
        assert missing.status_code == 404
        spec.validate(missing.get_json(), "errors")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"service_code": None}, "service_code"),
        ({"service_code": "no_such"}, "service_code"),
        ({"description": None}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"lat": None}, "long"),
        ({"lat": "70.0", "long": "-120.0"}, "lat"),
        ({"lat": "abc"}, "lat"),
        ({"lat": None, "long": None}, "lat"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"attribute[outfall_code]": "TW0001450702GY9999"}, "attribute[outfall_code]"),
        ({"lat": None, "long": None, "address_string": "TW0001450702GY9999"}, "address_string"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_or_bad_field_is_a_400_and_stores_nothing(
    app, client, world, api_key, fields, named, fmt
):
    response = _post(client, api_key, fmt, **fields)
    assert response.status_code == 400, response.get_data(as_text=True)
    doc = _doc(response, fmt)
    spec.validate(doc, "errors")
    assert doc[0]["code"] == 400
    assert doc[0]["description"].startswith(f"{named}:"), doc
    assert _count(app, Complaint) == 0
    assert _count(app, OutboxMessage) == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bad_missing_or_revoked_key_is_a_403(app, client, seed, api_key, fmt):
    from portal.core.clock import utcnow
    from portal.open311 import keys

    def revoked():
        row, key = keys.create_key("已停用的系统", utcnow())
        keys.revoke(row, utcnow())
        return key

    old = seed(revoked)
    for key in ("o311_wrong", "", None, old, api_key + "x"):
        response = _post(client, key, fmt)
        assert response.status_code == 403, key
        doc = _doc(response, fmt)
        spec.validate(doc, "errors")
        assert doc[0]["code"] == 403
    # A key in the query string is not read (it would end up in logs).
    response = client.post(f"/open311/v2/requests.json?api_key={api_key}", data={})
    assert response.status_code == 403
    assert _count(app, Complaint) == 0


def test_unknown_request_or_service_is_a_404_error_array(client):
    for url in ("/open311/v2/requests/TS-2026-000404.json", "/open311/v2/services/x.xml"):
        response = client.get(url)
        assert response.status_code == 404
        doc = _doc(response, "xml" if url.endswith("xml") else "json")
        spec.validate(doc, "errors")
        assert doc[0]["code"] == 404


def test_media_is_re_encoded_through_the_photo_pipeline(app, client, api_key):
    original = phone_jpeg(gps=QINZHOU)
    response = client.post(
        URL,
        data={
            "api_key": api_key,
            "service_code": "abnormal_water",
            "description": "河水发黑",
            # No lat/long: the photo's GPS says where, as on the web form.
            "address_string": "钦州市钦南区沙埠镇",
            "media": upload(original),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        case = db.session.scalars(select(Complaint)).one()
        [photo] = db.session.scalars(select(ComplaintPhoto)).all()
        assert case.location_source.value == "photo"
        assert (round(case.lat, 2), round(case.lon, 2)) == QINZHOU
        # The address typed stays with the report for the staff.
        assert "钦州市钦南区沙埠镇" in case.description
        assert (round(photo.gps_lat, 2), round(photo.gps_lon, 2)) == QINZHOU  # private evidence
        public = FileStore(app.config["UPLOAD_DIR"]).resolve(photo.public_sha256)
        assert public is not None
        with Image.open(public) as published:
            assert published.format == "JPEG"
            assert not published.getexif()  # re-encoded without metadata
        assert photo.public_sha256 != photo.original_sha256


def test_a_bad_media_file_is_a_400_and_stores_nothing(app, client, api_key):
    response = client.post(
        URL,
        data={
            "api_key": api_key,
            "service_code": "abnormal_water",
            "description": "河水发黑",
            "lat": "21.95",
            "long": "108.62",
            "media": (io.BytesIO(b"GIF89a not really"), "x.jpg", "image/jpeg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.get_json()[0]["description"].startswith("media:")
    assert _count(app, Complaint) == 0 and _count(app, ComplaintPhoto) == 0


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802  (the stdlib's name)
        _Counting.hits.append(self.path)
        body = phone_jpeg()
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def bait():
    """A server that would hand out a photo, counting who asks."""
    _Counting.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/photo.jpg"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_media_url_is_never_fetched(app, client, api_key, bait):
    response = _post(client, api_key, media_url=bait)
    assert response.status_code == 200
    with app.app_context():
        assert _count(app, ComplaintPhoto) == 0
        case = db.session.scalars(select(Complaint)).one()
        assert bait not in case.description
    assert _Counting.hits == []
    # The bait works: a fetch would have been counted.
    with urllib.request.urlopen(bait, timeout=5) as answer:
        assert answer.status == 200
    assert _Counting.hits == ["/photo.jpg"]


def test_an_outfall_code_as_address_string_links_the_outfall(app, client, world, api_key):
    response = _post(client, api_key, lat=None, long=None, address_string=world.outfall_code)
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        case = db.session.scalars(select(Complaint)).one()
        assert case.outfall.code == world.outfall_code
        assert case.location_source.value == "outfall"
        assert case.department_id == world.industry


def test_the_post_needs_no_csrf_token_but_the_web_form_still_does(make_app, world_factory):
    app = make_app(WTF_CSRF_ENABLED=True)
    key = world_factory(app)
    client = app.test_client()
    assert _post(client, key).status_code == 200
    form = client.post("/complaints/new", data={"category": "other", "description": "x"})
    assert form.status_code == 400
    # Reads need no token either, and a POST elsewhere under /open311 is not exempt.
    assert client.get("/open311/v2/services.json").status_code == 200


def test_posts_are_rate_limited_per_address(make_app, world_factory):
    app = make_app(RATELIMIT_ENABLED=True, COMPLAINT_RATE_LIMIT="2 per minute")
    key = world_factory(app)
    client = app.test_client()
    assert [_post(client, key).status_code for _ in range(3)] == [200, 200, 429]
    limited = _post(client, key, "xml")
    assert limited.status_code == 429
    spec.validate(spec.from_xml(limited.get_data()), "errors")


@pytest.fixture
def world_factory():
    """Seed an app built by the test with a key (the shared fixtures seed `app` only)."""

    def make(app):
        from portal.core.clock import utcnow
        from portal.open311 import keys

        with app.app_context():
            key = keys.create_key("测试系统", utcnow())[1]
            db.session.commit()
        return key

    return make
