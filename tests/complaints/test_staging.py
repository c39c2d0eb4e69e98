"""Photos sent while the form is filled in (staged uploads), idempotent submissions, and a
photo taken far from its outfall."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.complaints import staging
from portal.complaints.models import (
    Complaint,
    ComplaintPhoto,
    LocationCheck,
    StagedUpload,
    SubmissionKey,
)
from portal.complaints.tokens import form_key_valid, make_form_key
from portal.core.clock import utcnow
from portal.core.errors import UserError
from portal.extensions import db
from tests import factories as f
from tests.images import phone_jpeg, upload
from tests.support import ON_POSTGRES

FORM = {"category": "abnormal_water", "description": "排口流出黄色的水。", "identity": "anonymous"}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _form_key(client, path="/complaints/new") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)


def _stage(client, key, data=None, lang="zh", **device):
    with client.post(
        "/complaints/uploads",
        data={"form_key": key, "photo": upload(data or phone_jpeg())} | device,
        content_type="multipart/form-data",
        headers={"Accept-Language": lang},
    ) as r:
        r.get_data()
        r.request.input_stream.close()
    return r


def _submit(client, data, lang="zh"):
    return client.post(
        "/complaints/new",
        data=data,
        content_type="multipart/form-data",
        headers={"Accept-Language": lang},
    )


# --- Form keys and tokens (unit) ---------------------------------------------------------


def test_only_form_keys_made_with_the_secret_are_valid():
    key = make_form_key("n" * 24, "secret")
    assert form_key_valid(key, "secret")
    assert not form_key_valid(key, "another secret")
    assert not form_key_valid(key[:-1] + ("A" if key[-1] != "A" else "B"), "secret")
    assert not form_key_valid("", "secret") and not form_key_valid("short.x", "secret")


def _row(key, now, hours=24, token="t" * 32) -> StagedUpload:
    row = StagedUpload(
        token=token,
        form_key=key,
        public_sha256="a" * 64,
        thumb_sha256="b" * 64,
        original_sha256="c" * 64,
        original_size=10,
        original_format="JPEG",
        width=1,
        height=1,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_a_token_is_claimed_only_by_its_own_form_before_it_expires(app_ctx):
    from flask_babel import force_locale

    now = utcnow()
    _row("form-a", now, token="A" * 32)
    assert [r.token for r in staging.claim("form-a", ["A" * 32, "A" * 32], now)] == ["A" * 32]
    with force_locale("en"):
        with pytest.raises(UserError, match="another report form") as other:
            staging.claim("form-b", ["A" * 32], now)
        assert other.value.field == "photos"
        with pytest.raises(UserError, match="another report form"):
            staging.claim("form-a", ["unknown"], now)
        with pytest.raises(UserError, match="expired") as expired:
            staging.claim("form-a", ["A" * 32], now + timedelta(hours=24))
    assert expired.value.field == "photos"
    assert staging.for_form("form-a", ["A" * 32], now + timedelta(hours=25)) == []


def test_expired_staged_uploads_go_only_after_the_grace(app_ctx):
    now = utcnow()
    _row("form-a", now - timedelta(hours=30), token="old" * 10)
    _row("form-a", now - timedelta(hours=24, minutes=10), token="recent" * 5)
    _row("form-a", now, token="fresh" * 6)
    assert staging.expire(now, grace_seconds=3600) == 1  # 24 h + 10 min: still in grace
    assert staging.expire(now + timedelta(hours=1), grace_seconds=3600) == 1
    assert [r.token for r in db.session.scalars(select(StagedUpload))] == ["fresh" * 6]


def test_device_metadata_keeps_only_what_makes_sense():
    meta = staging.DeviceMetadata.parse("2026:11:20 09:30:00", "+08:00", "21.95", "108.62")
    assert meta.captured_at.isoformat() == "2026-11-20T09:30:00+08:00"
    assert (meta.lat, meta.lon) == (21.95, 108.62)
    junk = staging.DeviceMetadata.parse("yesterday", "", "nan", "108")
    assert (junk.captured_at, junk.lat, junk.lon) == (None, None, None)
    assert staging.DeviceMetadata.parse(None, None, "0", "0").lat is None  # no fix


# --- The upload endpoint -----------------------------------------------------------------


def test_a_staged_photo_is_checked_like_any_other_and_answers_its_token(app, client):
    key = _form_key(client)
    r = _stage(client, key, captured_at="2026:11:20 09:30:00", lat="21.95", lon="108.62")
    assert r.status_code == 201 and r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body["point"] == [21.68, 108.61]  # the file's own GPS wins over the device's
    with client.get(body["thumb"]) as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
        assert "private" in thumb.headers["Cache-Control"]
    with client.get(body["thumb"].replace(key, _form_key(client))) as other:
        assert other.status_code == 404  # another form cannot see it
    with app.app_context():
        row = db.session.scalars(select(StagedUpload)).one()
        assert row.token == body["token"] and row.device_lat == 21.95
        assert row.device_captured_at.isoformat() == "2026-11-20T01:30:00+00:00"
    bad = _stage(client, key, data=b"not a photo", lang="en")
    assert bad.status_code == 400 and "photo" in bad.get_json()["error"].lower()
    forged = _stage(client, "made-up.key", lang="en")
    assert forged.status_code == 400 and "expired" in forged.get_json()["error"]
    assert _count(app, StagedUpload) == 1 and _count(app, Complaint) == 0


def test_photo_uploads_need_the_csrf_token_and_answer_json(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    key = _form_key(client)
    r = _stage(client, key, lang="en")
    assert r.status_code == 400 and "expired" in r.get_json()["error"]
    assert _count(app, StagedUpload) == 0


def test_photo_uploads_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, COMPLAINT_UPLOAD_RATE_LIMIT="2 per minute")
    client = app.test_client()
    key = _form_key(client)
    codes = [_stage(client, key, lang="en").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert "many photos" in _stage(client, key, lang="en").get_json()["error"]


# --- Submitting with tokens --------------------------------------------------------------


def test_a_staged_photo_survives_a_refusal_and_joins_the_report(app, client):
    key = _form_key(client)
    token = _stage(client, key).get_json()["token"]
    refused = _submit(client, FORM | {"description": "", "form_key": key, "photo_token": token})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert f'name="photo_token" value="{token}"' in page  # still with the form
    assert f'value="{key}"' in page and 'href="#description"' in page
    assert 'aria-invalid="true" aria-describedby="description-error"' in page
    r = _submit(client, FORM | {"form_key": key, "photo_token": token})
    assert r.status_code == 303
    with app.app_context():
        complaint = db.session.scalars(select(Complaint)).one()
        photo = complaint.photos[0]
        assert (complaint.location_source.value, round(complaint.lat, 2)) == ("photo", 21.68)
        assert photo.gps_lat is not None
    assert _count(app, StagedUpload) == 0  # claimed: the photo row keeps its files
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f"/photos/{photo.id}/thumb.jpg" in page


def test_without_javascript_a_refusal_keeps_the_photos_sent_with_the_form(app, client):
    key = _form_key(client)
    data = FORM | {"description": "", "form_key": key, "photos": [upload(phone_jpeg())]}
    refused = _submit(client, data)
    assert refused.status_code == 400
    token = re.search(r'name="photo_token" value="([^"]+)"', refused.get_data(as_text=True))
    assert token and _count(app, StagedUpload) == 1
    r = _submit(client, FORM | {"form_key": key, "photo_token": token.group(1)})
    assert r.status_code == 303
    assert _count(app, ComplaintPhoto) == 1 and _count(app, StagedUpload) == 0


def test_a_token_of_another_form_is_refused_next_to_the_photos(app, client):
    token = _stage(client, _form_key(client)).get_json()["token"]
    mine = _form_key(client)
    r = _submit(client, FORM | {"form_key": mine, "photo_token": token}, lang="en")
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert re.search(r'id="photos-error"><li>A photo added earlier belongs to another', page)
    assert f'value="{token}"' not in page  # not offered again on this form
    assert _count(app, Complaint) == 0


def test_an_expired_token_is_refused_with_a_message(app, client, monkeypatch):
    key = _form_key(client)
    token = _stage(client, key).get_json()["token"]
    later = utcnow() + timedelta(hours=25)
    monkeypatch.setattr("portal.complaints.views.utcnow", lambda: later)
    r = _submit(client, FORM | {"form_key": key, "photo_token": token}, lang="en")
    assert r.status_code == 400
    assert "has expired (photos are kept for 24 hours). Add it again." in r.get_data(as_text=True)
    assert _count(app, Complaint) == 0


def test_a_repeated_submission_returns_the_same_tracking_page(app, client):
    key = _form_key(client)
    token = _stage(client, key).get_json()["token"]
    data = FORM | {"form_key": key, "photo_token": token}
    first = _submit(client, data)
    again = _submit(client, data)  # the answer was lost on the way: the phone sends again
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert _count(app, Complaint) == 1 and _count(app, ComplaintPhoto) == 1
    assert "举报已收到" in client.get(again.headers["Location"]).get_data(as_text=True)
    # Without JavaScript the photo comes again with the retry: it is not stored twice.
    nojs = FORM | {"form_key": key, "photos": [upload(phone_jpeg())]}
    assert _submit(client, nojs).headers["Location"] == first.headers["Location"]
    assert _count(app, StagedUpload) == 0 and _count(app, ComplaintPhoto) == 1


def test_concurrent_submissions_of_one_form_file_one_complaint(make_app, tmp_path, monkeypatch):
    # Two requests of the same form at once: the submission key's primary key decides,
    # not a check before the insert (SQLite on a file here, so the threads really race).
    from portal.complaints import intake

    overrides = {} if ON_POSTGRES else {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.db'}"}
    app = make_app(**overrides)
    key = _form_key(app.test_client())
    data = FORM | {"form_key": key, "lat": "21.9", "lon": "108.6"}
    real_check = intake.earlier_receipt
    barrier = threading.Barrier(2)
    first_checks = threading.Semaphore(2)

    def racing_check(form_key):
        # Both requests pass the early check before either has filed: a real race.
        if first_checks.acquire(blocking=False):
            barrier.wait(10)
            return None
        return real_check(form_key)

    monkeypatch.setattr(intake, "earlier_receipt", racing_check)
    results = []

    def post():
        r = app.test_client().post("/complaints/new", data=data)
        results.append((r.status_code, r.headers.get("Location")))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [code for code, _ in results] == [303, 303]
    assert results[0][1] == results[1][1]
    assert _count(app, Complaint) == 1 and _count(app, SubmissionKey) == 1


# --- A photo far from the outfall --------------------------------------------------------


def test_a_photo_far_from_the_outfall_is_asked_about_stored_and_shown_to_staff(
    app, client, make_staff
):
    from portal.agencies.models import Role
    from tests.staff import login, totp_code

    code = None
    with app.app_context():
        code = f.outfall(name="钦州港入海排口", lat=21.60, lon=108.60).code
        db.session.commit()
    key = _form_key(client, f"/complaints/new?outfall={code}")
    # The phone read GPS ~30 km inland from the original (the shrunk copy has none).
    token = _stage(client, key, data=phone_jpeg(gps=None), lat="21.87", lon="108.62")
    token = token.get_json()["token"]
    data = FORM | {"form_key": key, "photo_token": token, "outfall": code}
    asked = _submit(client, data, lang="en")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 400
    assert (
        "Your photo was taken 30.1 km from the outfall 钦州港入海排口. Which place is right?"
        in page
    )
    assert 'name="location_choice"' in page and "钦州港入海排口" in page  # context kept
    assert f'value="{token}"' in page  # the photo too
    r = _submit(client, data | {"location_choice": "outfall"})
    assert r.status_code == 303
    with app.app_context():
        complaint = db.session.scalars(select(Complaint)).one()
        check = db.session.get(LocationCheck, complaint.id)
        assert (complaint.lat, complaint.lon, complaint.location_source.value) == (
            21.6,
            108.6,
            "outfall",
        )
        assert (check.photo_lat, check.photo_lon, check.photo_source) == (21.87, 108.62, "device")
        assert 29_000 < check.distance_m < 31_000 and check.chosen == "outfall"
        case_id = complaint.id
    staff = app.test_client()
    login(staff, make_staff(Role.coordinator, totp=True), code=totp_code())
    case = staff.get(f"/queue/cases/{case_id}", headers={"Accept-Language": "en"})
    text = case.get_data(as_text=True)
    assert case.status_code == 200
    assert "The photo and the outfall disagree about the place." in text
    assert "30.1 km" in text and "read by the reporter's phone" in text
    assert "21.870000, 108.620000" in text


def test_a_photo_near_the_outfall_locates_the_report_without_a_question(app, client):
    with app.app_context():
        code = f.outfall(lat=21.68, lon=108.612).code  # ~200 m from the photo
        db.session.commit()
    key = _form_key(client)
    token = _stage(client, key).get_json()["token"]
    r = _submit(client, FORM | {"form_key": key, "photo_token": token, "outfall": code})
    assert r.status_code == 303
    assert _count(app, LocationCheck) == 0
