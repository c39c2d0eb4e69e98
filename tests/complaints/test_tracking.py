"""After submitting: the private link, lookup, follow-ups, and what the public sees."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.complaints import events, public
from portal.complaints.models import Complaint, ComplaintStatus
from portal.core.clock import utcnow
from portal.core.geo import distance_m
from portal.core.hashchain import first_broken_link
from portal.extensions import db
from tests.images import phone_jpeg, upload

NAMED = {
    "category": "illegal_discharge",
    "description": "夜里有暗管排放黑水。",
    "identity": "named",
    "name": "李四",
    "phone": "13912345678",
    "email": "lisi@example.com",
    "lat": "21.95012",
    "lon": "108.62034",
}


def _submit(client, data=NAMED, photos=()):
    payload = dict(data)
    if photos:
        payload["photos"] = [upload(p) for p in photos]
    r = client.post("/complaints/new", data=payload, content_type="multipart/form-data")
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    token = re.search(r"/complaints/t/([\w-]+)", r.headers["Location"]).group(1)
    page = client.get(f"/complaints/t/{token}").get_data(as_text=True)
    number = re.search(r"TS-\d{4}-\d{6}", page).group(0)
    return token, number


def _set_status(app, number, status):
    with app.app_context():
        complaint = db.session.scalars(
            select(Complaint).where(Complaint.tracking_no == number)
        ).one()
        complaint.status = status
        db.session.commit()


def test_private_page_is_never_cached_nor_leaked_by_referer(client):
    token, number = _submit(client)
    r = client.get(f"/complaints/t/{token}")
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    page = r.get_data(as_text=True)
    assert number in page and "夜里有暗管排放黑水" in page
    assert client.get("/complaints/t/not-a-real-token").status_code == 404


def test_lookup_with_tracking_number_and_phone_or_email_opens_the_case(client):
    token, number = _submit(client)
    for contact in ("13912345678", "+86 139-1234-5678", "LiSi@Example.com"):
        r = client.post(
            "/complaints/lookup", data={"tracking_no": number.lower(), "contact": contact}
        )
        assert r.headers["Location"].endswith(f"/complaints/t/{token}"), contact


def test_lookup_with_the_wrong_contact_reveals_nothing(client):
    _token, number = _submit(client)
    r = client.post(
        "/complaints/lookup",
        data={"tracking_no": number, "contact": "13900000000"},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 400
    assert "No case matches" in r.get_data(as_text=True)


def test_anonymous_cases_open_only_with_their_link(client):
    token, number = _submit(
        client, NAMED | {"identity": "anonymous", "name": "", "phone": "", "email": ""}
    )
    r = client.post("/complaints/lookup", data={"tracking_no": number, "contact": "13912345678"})
    assert r.status_code == 400
    assert client.get(f"/complaints/t/{token}").status_code == 200


def test_reporter_adds_information_and_photos_to_an_open_case(app, client):
    token, _number = _submit(client)
    r = client.post(
        f"/complaints/t/{token}/info",
        data={"message": "今天早上又排了。", "photos": [upload(phone_jpeg())]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    page = client.get(f"/complaints/t/{token}").get_data(as_text=True)
    assert "今天早上又排了。" in page
    with app.app_context():
        complaint = db.session.scalars(select(Complaint)).one()
        assert len(complaint.photos) == 1 and complaint.photos[0].event_id is not None
        assert [e.kind for e in complaint.events] == ["submitted", "triage", "reporter_info"]


def test_information_asked_for_restarts_the_case(app, client):
    token, number = _submit(client)
    _set_status(app, number, ComplaintStatus.awaiting_reporter)
    client.post(f"/complaints/t/{token}/info", data={"message": "补充：排口在桥下。"})
    with app.app_context():
        assert db.session.scalars(select(Complaint.status)).one() is ComplaintStatus.in_progress


def test_closed_case_is_rated_once_and_can_be_disputed_which_reopens_it(app, client):
    token, number = _submit(client)
    assert client.post(f"/complaints/t/{token}/rate", data={"rating": "4"}).status_code == 400
    _set_status(app, number, ComplaintStatus.closed)
    page = client.get(f"/complaints/t/{token}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "How was it handled?" in page and "Add information" not in page
    assert client.post(f"/complaints/t/{token}/rate", data={"rating": "9"}).status_code == 400
    assert client.post(f"/complaints/t/{token}/rate", data={"rating": "2"}).status_code == 303
    assert client.post(f"/complaints/t/{token}/rate", data={"rating": "5"}).status_code == 400
    r = client.post(f"/complaints/t/{token}/dispute", data={"reason": "还在排，没有解决。"})
    assert r.status_code == 303
    with app.app_context():
        complaint = db.session.scalars(select(Complaint)).one()
        assert complaint.rating == 2 and complaint.status is ComplaintStatus.reopened
        assert [e.kind for e in complaint.events][-2:] == ["rated", "disputed"]
        records = [(e.prev_hash, e.hash, events.event_fields(e)) for e in complaint.events]
    assert first_broken_link(records) is None


def test_public_page_shows_no_reporter_and_only_a_rounded_location(client):
    token, number = _submit(client, photos=[phone_jpeg()])
    page = client.get(f"/complaints/{number}").get_data(as_text=True)
    for secret in ("李四", "13912345678", "lisi@example.com", token, "21.95012", "夜里有暗管"):
        assert secret not in page, secret
    assert "21.950° N, 108.620° E" in page
    r = client.get(f"/complaints/{number}/photos/1/thumb.jpg")
    assert r.status_code == 404  # no consent to publish photos


def test_consented_description_and_photos_are_published_without_metadata(client):
    import io

    from PIL import Image

    _token, number = _submit(client, NAMED | {"consent": "y"}, photos=[phone_jpeg()])
    page = client.get(f"/complaints/{number}").get_data(as_text=True)
    assert "夜里有暗管排放黑水" in page and "李四" not in page
    photo_url = re.search(rf"/complaints/{number}/photos/\d+/photo\.jpg", page).group(0)
    with client.get(photo_url) as r:
        assert r.status_code == 200
        with Image.open(io.BytesIO(r.data)) as image:
            assert not image.getexif() and "exif" not in image.info


def test_public_api_of_nearby_reports_carries_no_personal_data(client):
    _submit(client)
    r = client.get("/complaints/nearby.json?lat=21.9502&lon=108.6204")
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "TS-" in text
    for secret in ("李四", "13912345678", "lisi@example.com", "夜里", "21.95012"):
        assert secret not in text


def test_nearby_finds_open_reports_within_200_m_or_at_the_same_outfall(app, client, outfall_code):
    _submit(client, NAMED | {"lat": "21.9000", "lon": "108.6000"})
    _submit(client, NAMED | {"lat": "21.9500", "lon": "108.5000", "outfall": outfall_code})
    _t, closed = _submit(client, NAMED | {"lat": "21.9001", "lon": "108.6001"})
    _set_status(app, closed, ComplaintStatus.closed)

    def numbers(query):
        return [
            c["tracking_no"]
            for c in client.get(f"/complaints/nearby.json?{query}").json["complaints"]
        ]

    assert len(numbers("lat=21.9010&lon=108.6000")) == 1  # ~111 m away
    assert numbers("lat=21.9030&lon=108.6000") == []  # ~330 m away
    assert len(numbers(f"outfall={outfall_code}")) == 1  # far from the outfall, but linked to it
    for bad in ("lat=abc&lon=1", "lat=21.9", "", "outfall=NOSUCH0001"):
        assert client.get(f"/complaints/nearby.json?{bad}").status_code == 400


def test_nearby_ignores_reports_older_than_30_days(app):
    with app.app_context():
        now = utcnow()
        assert public.nearby_open(21.9, 108.6, None, now) == []
        assert distance_m(21.9, 108.6, 21.9, 108.6) == 0
        assert 1100 < distance_m(21.9, 108.6, 21.91, 108.6) < 1120


def test_the_qr_form_shows_open_reports_at_the_outfall_first(client, outfall_code):
    _t, number = _submit(client, NAMED | {"outfall": outfall_code})
    page = client.get(f"/complaints/new?outfall={outfall_code}").get_data(as_text=True)
    assert number in page and "此处已有举报" in page


def test_affects_me_too_counts_once_per_browser(app, client):
    _t, number = _submit(client)
    for _ in range(2):
        assert client.post(f"/complaints/{number}/support").status_code == 303
    other = app.test_client()
    other.post(f"/complaints/{number}/support", environ_base={"REMOTE_ADDR": "10.1.1.1"})
    with app.app_context():
        assert db.session.scalars(select(Complaint.supporters)).one() == 2


def test_affects_me_too_counts_one_address_once_a_day_whatever_its_user_agent(app, client):
    _t, number = _submit(client)
    for i in range(5):  # new browsers (no cookie), new User-Agents, one address
        app.test_client().post(
            f"/complaints/{number}/support",
            headers={"User-Agent": f"Browser/{i}"},
            environ_base={"REMOTE_ADDR": "10.2.2.2"},
        )
    with app.app_context():
        assert db.session.scalars(select(Complaint.supporters)).one() == 1


@pytest.mark.parametrize("typed", ["ts-{y}-{n}", "TS{y}{n}", "ｔｓ－{y}－{n}"])
def test_tracking_numbers_typed_loosely_find_the_public_page(client, typed):
    _t, number = _submit(client)
    _, year, serial = number.split("-")
    r = client.get(f"/complaints/{typed.format(y=year, n=serial)}")
    assert r.status_code == 301 and r.headers["Location"].endswith(f"/complaints/{number}")


def test_old_reports_fall_out_of_the_nearby_window(app, client):
    _submit(client)
    with app.app_context():
        complaint = db.session.scalars(select(Complaint)).one()
        complaint.created_at = utcnow() - timedelta(days=31)
        db.session.commit()
    assert client.get("/complaints/nearby.json?lat=21.95012&lon=108.62034").json == {
        "complaints": []
    }


def test_the_confirmation_email_arrives_by_smtp_and_its_link_opens_the_case(
    app, client, runner, smtp_server
):
    _token, number = _submit(client)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    result = runner.invoke(args=["portal", "deliver"])
    assert result.exit_code == 0, result.output
    emails = [m for m in smtp_server.messages if m["To"] == "lisi@example.com"]
    assert len(emails) == 1
    assert number in emails[0]["Subject"]
    body = emails[0].get_content()
    link = re.search(r"https://pwk\.example\.test(/complaints/t/[\w-]+)", body).group(1)
    page = client.get(link).get_data(as_text=True)
    assert number in page and "夜里有暗管排放黑水" in page
    # Nobody else was written to.
    assert {m["To"] for m in smtp_server.messages} == {"lisi@example.com"}
