"""What the review found on the report form: refusals keep what the citizen typed."""

import io

from sqlalchemy import func, select

from portal.complaints.models import Complaint
from portal.extensions import db

VALID = {
    "category": "abnormal_water",
    "description": "河水发黑发臭，上游排口一直在排。",
    "identity": "anonymous",
    "lat": "21.9",
    "lon": "108.6",
}


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Complaint))


def test_a_rate_limited_report_comes_back_as_the_form_with_the_text(make_app):
    app = make_app(RATELIMIT_ENABLED=True, COMPLAINT_RATE_LIMIT="1 per minute")
    client = app.test_client()
    assert client.post("/complaints/new", data=VALID).status_code == 303
    again = VALID | {"description": "第二次举报：排口仍在排黑水。"}
    r = client.post("/complaints/new", data=again)
    page = r.get_data(as_text=True)
    assert r.status_code == 429
    assert "第二次举报：排口仍在排黑水。" in page  # what was typed is kept
    assert "几分钟" in page and 'name="description"' in page  # the form, with the reason
    assert "geolocation=(self)" in r.headers["Permissions-Policy"]
    assert _count(app) == 1


def test_a_too_large_report_comes_back_as_the_form_with_a_message(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    big = {"photos": (io.BytesIO(b"\xff" * (2 * 1024 * 1024)), "big.jpg")}
    with client.post("/complaints/new", data=VALID | big, content_type="multipart/form-data") as r:
        page = r.get_data(as_text=True)
        r.request.input_stream.close()  # the test client spooled the big body to a file
    assert r.status_code == 413
    assert 'name="description"' in page and "1 MB" in page
    assert _count(app) == 0


def test_only_the_report_form_and_the_map_may_use_location_and_camera(client):
    form = client.get("/complaints/new").headers["Permissions-Policy"]
    assert "geolocation=(self)" in form and "camera=(self)" in form
    assert "geolocation=(self)" in client.get("/map").headers["Permissions-Policy"]
    assert "camera=()" in client.get("/map").headers["Permissions-Policy"]
    home = client.get("/").headers["Permissions-Policy"]
    assert "geolocation=()" in home and "camera=()" in home


def test_pages_with_a_csrf_token_or_a_new_session_are_never_stored(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    r = client.get("/complaints/new")
    assert "no-store" in r.headers["Cache-Control"]
    assert "public" not in r.headers["Cache-Control"]
    assert "public" in client.get("/").headers["Cache-Control"]  # no token, no cookie


def test_hsts_only_behind_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "max-age=31536000" in client.get("/").headers["Strict-Transport-Security"]


def test_security_txt_names_the_configured_contact(app, client):
    assert client.get("/.well-known/security.txt").status_code == 404
    app.config["SECURITY_CONTACT"] = "mailto:security@pwk.example.test"
    r = client.get("/.well-known/security.txt")
    assert r.mimetype == "text/plain"
    assert "Contact: mailto:security@pwk.example.test" in r.get_data(as_text=True)
    assert "Expires: " in r.get_data(as_text=True)
