"""Reporting a problem: the form, photos, location, identity, and nothing half-stored."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.complaints import intake
from portal.complaints.models import Complaint, ComplaintPhoto, Reporter
from portal.core.clock import utcnow
from portal.extensions import db
from portal.notify.models import OutboxMessage
from tests.images import phone_jpeg, upload
from tests.support import ON_POSTGRES

VALID = {
    "category": "abnormal_water",
    "description": "河水发黑发臭，上游排口一直在排。",
    "identity": "anonymous",
}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _files(app) -> list[Path]:
    roots = [Path(app.config["UPLOAD_DIR"]), Path(app.config["EVIDENCE_DIR"])]
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def _post(client, data, photos=(), lang="zh"):
    payload = dict(data)
    if photos:
        payload["photos"] = [upload(p) if isinstance(p, bytes) else p for p in photos]
    with client.post(
        "/complaints/new",
        data=payload,
        content_type="multipart/form-data",
        headers={"Accept-Language": lang},
    ) as response:
        response.get_data()  # buffered, so the body stays readable after closing
        # The test client spools big multipart bodies to a temporary file: close it.
        response.request.input_stream.close()
    return response


def test_form_lists_categories_and_works_without_an_outfall(client):
    page = client.get("/complaints/new", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "雨洪排口晴天/旱天排水" in page and "死鱼等生态异常" in page
    assert 'enctype="multipart/form-data"' in page
    assert 'id="report-map"' in page and re.search(r"js/report\.[0-9a-f]{12}\.js", page)


def test_qr_link_prelinks_the_outfall(client, outfall_code):
    r = client.get(f"/complaints/new?outfall={outfall_code.lower()}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f'value="{outfall_code}"' in page
    assert 'data-lat="21.95"' in page and 'data-has-point="true"' in page


def test_qr_page_links_to_the_form(client, outfall_code):
    page = client.get(f"/o/{outfall_code}").get_data(as_text=True)
    assert f'href="/complaints/new?outfall={outfall_code}"' in page


def test_unknown_outfall_in_the_link_is_explained(client):
    r = client.get("/complaints/new?outfall=NOSUCH0001", headers={"Accept-Language": "en"})
    assert r.status_code == 404
    assert "No outfall has the code NOSUCH0001" in r.get_data(as_text=True)


def test_report_with_a_gps_photo_takes_its_location_and_keeps_evidence(app, client):
    r = _post(client, VALID, [phone_jpeg(gps=(21.68, 108.61))])
    assert r.status_code == 303
    assert re.search(r"/complaints/t/[\w-]{20,}$", r.headers["Location"])
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert re.search(r"TS-\d{4}-\d{6}", page)
    with app.app_context():
        complaint = db.session.scalars(select(Complaint)).one()
        assert complaint.status.value == "submitted"
        assert (round(complaint.lat, 4), round(complaint.lon, 4)) == (21.68, 108.61)
        assert complaint.location_source.value == "photo"
        assert db.session.get(Reporter, complaint.id).anonymous
        photo = complaint.photos[0]
        assert round(photo.gps_lat, 4) == 21.68 and photo.captured_at is not None
        public = Path(app.config["UPLOAD_DIR"]) / photo.public_sha256[:2] / photo.public_sha256
        original = (
            Path(app.config["EVIDENCE_DIR"]) / photo.original_sha256[:2] / photo.original_sha256
        )
        assert original.exists() and public.exists()
        with Image.open(public) as published:
            assert not published.getexif()  # the public copy carries no GPS
        assert [e.kind for e in complaint.events] == ["submitted", "triage"]  # no rules here
    assert not [p for p in _files(app) if p.name.startswith(".")]  # nothing left staged


def test_report_at_an_outfall_without_coordinates_uses_the_outfall(app, client, outfall_code):
    r = _post(client, VALID | {"outfall": outfall_code})
    assert r.status_code == 303
    with app.app_context():
        complaint = db.session.scalars(select(Complaint)).one()
        assert complaint.outfall.code == outfall_code
        assert (complaint.lat, complaint.lon, complaint.location_source.value) == (
            21.95,
            108.62,
            "outfall",
        )


def test_map_pin_wins_over_the_photo(app, client):
    r = _post(client, VALID | {"lat": "21.9", "lon": "108.6"}, [phone_jpeg()])
    assert r.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Complaint.lat)).one() == 21.9


def _big_jpeg() -> bytes:
    image = Image.effect_noise((600, 600), 120).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=100)
    return out.getvalue()


def _png_bomb() -> bytes:
    import struct
    import zlib

    def chunk(kind, body):
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    "case,data,photos,field_message",
    [
        ("text named .jpg", {}, [upload(b"hello, not a photo", "x.jpg")], "无法识别该文件为照片"),
        ("truncated jpeg", {}, [phone_jpeg()[:1500]], "照片不完整"),
        (
            "first bad of three, worked on side by side",
            {},
            [phone_jpeg(), phone_jpeg()[:1500], upload(SVG, "x.svg", "image/svg+xml")],
            "照片不完整",
        ),
        ("svg", {}, [upload(SVG, "x.svg", "image/svg+xml")], "不接受该图片格式"),
        ("decompression bomb", {}, [upload(_png_bomb(), "x.png", "image/png")], "尺寸异常巨大"),
        ("too large", {}, ["big"], "每张照片不能超过"),
        ("seven photos", {}, ["seven"], "最多只能上传 6 张照片"),
        ("outside china", {"lat": "48.85", "lon": "2.35"}, [], "不在中国境内"),
        ("one coordinate", {"lat": "21.9"}, [], "请同时填写纬度和经度"),
        ("unknown outfall", {"outfall": "NOSUCH0001"}, [], "No outfall has the code"),
        ("no location", {}, [], "请告诉我们位置"),
        ("empty description", {"description": "  "}, [], "请简要描述问题"),
        ("no category", {"category": ""}, [], "请选择问题类型"),
        ("unknown category", {"category": "nonsense"}, [], "Not a valid choice"),
        ("bad phone", {"identity": "named", "phone": "12345"}, [], "请输入 11 位手机号码"),
        ("bad email", {"identity": "named", "email": "not-an-email"}, [], "请输入有效的电子邮箱"),
        ("honeypot", {"website": "http://spam.example"}, [], "请不要填写此项"),
    ],
)
def test_bad_input_is_explained_keeps_the_text_and_stores_nothing(
    app, client, case, data, photos, field_message
):
    app.config["COMPLAINT_PHOTO_MAX_BYTES"] = 200_000
    photos = {
        "big": lambda: [_big_jpeg()],
        "seven": lambda: [phone_jpeg(size=(40, 30)) for _ in range(7)],
    }.get(photos[0] if photos and isinstance(photos[0], str) else None, lambda: photos)()
    form = VALID | data
    r = _post(client, form, photos)
    assert r.status_code == 400, case
    page = r.get_data(as_text=True)
    if field_message.isascii():  # messages from validators of other languages
        page = _post(client, form, photos, lang="en").get_data(as_text=True)
    assert field_message in page, case
    if form["description"].strip():
        assert form["description"] in page  # what the citizen typed is kept
    assert _count(app, Complaint) == 0 and _count(app, ComplaintPhoto) == 0
    assert _files(app) == []


def test_a_failed_commit_leaves_no_rows_and_no_files(app, client, monkeypatch):
    def broken_commit():
        raise RuntimeError("disk full")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    r = _post(client, VALID, [phone_jpeg(), phone_jpeg(gps=None)])
    assert r.status_code == 503
    assert "我们未能保存您的举报" in r.get_data(as_text=True)
    monkeypatch.undo()
    assert _count(app, Complaint) == 0 and _count(app, ComplaintPhoto) == 0
    assert _files(app) == []


def test_a_crash_after_commit_is_finished_by_the_cleanup(app, client, monkeypatch):
    from portal import files
    from portal.core.storage import FileStore

    monkeypatch.setattr(FileStore, "publish", lambda self, staged: None)  # crash before publish
    assert _post(client, VALID, [phone_jpeg()]).status_code == 303
    monkeypatch.undo()
    staged = [p for p in _files(app) if p.name.startswith(".staged-")]
    assert len(staged) == 3  # public copy, thumbnail, original
    with app.app_context():
        # The next run publishes a committed report's files however young they are.
        assert files.cleanup(older_than=3600) == {"published": 3, "deleted": 0}
        photo = db.session.scalars(select(ComplaintPhoto)).one()
    assert all(not p.name.startswith(".") for p in _files(app))
    assert photo.public_sha256 in {p.name for p in _files(app)}


def test_a_photo_left_staged_by_a_crash_is_published_by_the_first_request(app, client, monkeypatch):
    from portal.core.storage import FileStore

    monkeypatch.setattr(FileStore, "publish", lambda self, staged: None)  # crash before publish
    assert _post(client, VALID | {"consent": "y"}, [phone_jpeg()]).status_code == 303
    monkeypatch.undo()
    with app.app_context():
        photo = db.session.scalars(select(ComplaintPhoto)).one()
        number = db.session.scalars(select(Complaint.tracking_no)).one()
    with client.get(f"/complaints/{number}/photos/{photo.id}/photo.jpg") as r:
        assert r.status_code == 200 and r.mimetype == "image/jpeg"


def test_cleanup_removes_files_of_submissions_that_never_committed(app):
    from portal import files
    from portal.complaints import uploads

    with app.app_context():
        stores = uploads.Stores.from_config(app.config)
        stores.public.stage(b"orphan")
        assert files.cleanup(older_than=0) == {"published": 0, "deleted": 1}
    assert _files(app) == []


def test_named_reporter_gets_an_email_with_the_private_link(app, client):
    data = VALID | {
        "identity": "named",
        "name": "张三",
        "phone": "13800138000",
        "email": "zhang@example.com",
        "lat": "21.9",
        "lon": "108.6",
    }
    r = _post(client, data)
    token_path = r.headers["Location"].split("?")[0]
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        reporter = db.session.scalars(select(Reporter)).one()
    assert [m.channel.value for m in messages] == ["email", "sms"]
    assert messages[0].recipient == "zhang@example.com"
    assert token_path in messages[0].body
    assert "张三" not in messages[1].body  # the SMS carries no personal data back
    assert (reporter.name, reporter.phone, reporter.anonymous) == ("张三", "13800138000", False)


def test_a_phone_typed_under_anonymous_is_kept_confidential_and_said_so(app, client):
    # Without JavaScript the contact fields show under the default "anonymous" choice: a
    # phone typed there is used (named, confidential), never silently dropped.
    r = _post(
        client,
        VALID
        | {
            "identity": "anonymous",
            "name": "张三",
            "phone": "13800138000",
            "lat": "21.9",
            "lon": "108.6",
        },
        lang="en",
    )
    assert r.status_code == 303
    with app.app_context():
        reporter = db.session.scalars(select(Reporter)).one()
        sms = db.session.scalars(select(OutboxMessage)).one()
    assert (reporter.anonymous, reporter.name, reporter.phone) == (False, "张三", "13800138000")
    assert sms.channel == "sms" and sms.recipient == "13800138000"
    page = client.get(r.headers["Location"], headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "you also gave contact details" in text
    assert "text message" in text and "8000" in text


def test_nothing_typed_under_anonymous_stays_anonymous(app, client):
    r = _post(client, VALID | {"identity": "anonymous", "lat": "21.9", "lon": "108.6"})
    assert r.status_code == 303
    with app.app_context():
        reporter = db.session.scalars(select(Reporter)).one()
    assert (reporter.anonymous, reporter.phone) == (True, "")
    assert _count(app, OutboxMessage) == 0


def test_forms_require_a_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    r = _post(client, VALID | {"lat": "21.9", "lon": "108.6"})
    assert r.status_code == 400
    assert _count(app, Complaint) == 0


def _redis_url() -> str:
    """This machine's Redis (python-svc machines run one), in a database of its own: one for
    the SQLite run and one for the PostgreSQL run, which CI runs side by side."""
    import redis

    url = f"redis://127.0.0.1:6379/{14 if ON_POSTGRES else 15}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    return url


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_submissions_are_rate_limited_per_address(make_app, storage):
    app = make_app(
        RATELIMIT_ENABLED=True,
        COMPLAINT_RATE_LIMIT="2 per minute",
        RATELIMIT_STORAGE_URI="memory://" if storage == "memory" else _redis_url(),
    )
    client = app.test_client()
    codes = [_post(client, VALID | {"lat": "21.9", "lon": "108.6"}).status_code for _ in range(3)]
    other = client.post(
        "/complaints/new", data=VALID, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    ).status_code
    assert codes == [303, 303, 429]
    assert other == 400  # another address is not limited (the form just lacks a place)
    assert _count(app, Complaint) == 2
    limited = _post(client, VALID, lang="en")
    assert "You have sent several reports in a short time" in limited.get_data(as_text=True)
    if storage == "redis":  # the counters really live in Redis
        import redis

        assert redis.Redis.from_url(app.config["RATELIMIT_STORAGE_URI"]).dbsize() > 0


def test_an_unexpected_error_during_a_submission_leaves_no_complaint(app, client, monkeypatch):
    from portal import files
    from portal.complaints.models import StagedUpload

    def broken_acknowledgement(*args, **kwargs):
        raise RuntimeError("mail template missing")

    # After the photos are claimed and the rows flushed: the worst moment to fail.
    monkeypatch.setattr(intake, "render_template", broken_acknowledgement)
    data = VALID | {"identity": "named", "email": "li@example.com"}
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = _post(client, data, [phone_jpeg()])
    assert r.status_code == 500
    assert _count(app, Complaint) == 0 and _count(app, ComplaintPhoto) == 0
    # The photo stays what it was before the submit: a staged upload of the form (a retry
    # finds it), whose files are no orphans; once it expires, cleanup removes them all.
    assert _count(app, StagedUpload) == 1
    assert len(_files(app)) == 3 and not [p for p in _files(app) if p.name.startswith(".")]
    monkeypatch.undo()
    later = utcnow() + timedelta(days=3)
    with app.app_context():
        assert files.cleanup(older_than=0) == {"published": 0, "deleted": 0}
        monkeypatch.setattr("portal.core.clock.utcnow", lambda: later)
        result = app.test_cli_runner().invoke(args=["portal", "cleanup-files", "--older-than", "0"])
    assert "Staged uploads: 1 expired" in result.output
    assert _count(app, StagedUpload) == 0 and _files(app) == []
