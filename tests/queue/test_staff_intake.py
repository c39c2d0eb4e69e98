"""Staff intake: reports received by phone, from 12345, by letter, in person or by WeChat go
through the same intake as the web form, with deadlines counted from when they arrived; the
12345 hand-off (work order number, the reply as text)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.complaints.models import (
    STAFF_CHANNELS,
    ActorKind,
    Complaint,
    ComplaintEvent,
    Reporter,
)
from portal.core.clock import LOCAL_TZ, utcnow
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.queue import deadlines
from portal.queue.calendar import load_calendar, sla_for
from tests.images import phone_jpeg, upload

EN = {"Accept-Language": "en"}


def _local(moment) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def _form(world, **overrides) -> dict:
    data = {
        "channel": "phone_12369",
        "received_at": _local(utcnow() - timedelta(days=3)),
        "category": "illegal_discharge",
        "outfall": world.outfall_code,
        "description": "来电反映：排口夜间排放黑水。",
        "name": "钱七",
        "phone": "13811112222",
        "email": "",
    }
    return data | overrides


def _only_case(app) -> Complaint:
    with app.app_context():
        complaint = db.session.scalars(select(Complaint)).one()
        db.session.expunge(complaint)
        return complaint


@pytest.mark.parametrize("channel", [c.value for c in STAFF_CHANNELS])
def test_each_channel_is_filed_through_the_intake_with_deadlines_from_received_at(
    app, world, sign_in, client, channel
):
    received = (utcnow() - timedelta(days=3)).replace(second=0, microsecond=0)
    staff = sign_in("hou-staff")  # a desk that neither leads nor assists on this case
    data = _form(world, channel=channel, received_at=_local(received))
    if channel == "hotline_12345":
        data["hotline_order_no"] = "QZ12345-20261128-0042"
    r = staff.post("/queue/intake/", data=data)
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    case = _only_case(app)
    assert case.channel == channel
    assert case.created_at == received
    assert case.department_id == world.industry  # routed by the same rules as the web form
    assert case.hotline_order_no == data.get("hotline_order_no", "")
    with app.app_context():
        case = db.session.get(Complaint, case.id)
        sla = sla_for(case.category)
        cal = load_calendar()
        assert case.accept_due_at == deadlines.accept_due(received, sla, cal)
        assert case.accept_due_at < deadlines.accept_due(utcnow(), sla, cal)
        reporter = db.session.get(Reporter, case.id)
        assert not reporter.anonymous and reporter.phone == "13811112222"
        first = db.session.scalars(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == case.id)
        ).first()
        assert first.kind == "submitted" and first.actor_kind is ActorKind.staff
        # Acknowledged like a web report: an SMS to the reporter's phone.
        sms = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "13811112222")
        ).all()
        assert sms and case.tracking_no in sms[0].body
        number = case.tracking_no
    # Routed to industry: the housing desk may not open it, and is told where it went.
    assert r.headers["Location"].endswith("/queue/intake/")
    assert number in staff.get("/queue/intake/").get_data(as_text=True)
    public = client.get(f"/complaints/{number}").get_data(as_text=True)
    assert "钱七" not in public and "13811112222" not in public
    assert "来电反映" not in public  # not consented
    listed = client.get("/complaints/").get_data(as_text=True)
    assert number in listed and "钱七" not in listed


def test_the_handling_department_lands_on_its_new_case(app, world, sign_in):
    r = sign_in("ind-staff").post("/queue/intake/", data=_form(world))
    case = _only_case(app)
    assert r.headers["Location"].endswith(f"/queue/cases/{case.id}")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"received_at": "{future}"}, "The time received cannot be in the future."),
        ({"received_at": "{ancient}"}, "more than 60 days ago"),
        ({"received_at": ""}, "Give the date and time the report was received."),
        ({"received_at": "yesterday"}, "Not a valid datetime value."),
        ({"channel": "web"}, "Not a valid choice."),
        ({"channel": "hotline_12345"}, "Give the 12345 work order number."),
        ({"channel": "hotline_12345", "hotline_order_no": "<x>"}, "3 to 40 letters"),
        ({"category": ""}, "Choose what kind of problem this is."),
        ({"description": ""}, "Describe the problem in a few words."),
        ({"outfall": "QT4507029999"}, "No outfall has the code QT4507029999."),
        ({"phone": "12"}, "Enter a mainland mobile number"),
        ({"lat": "21.9"}, "Give both latitude and longitude, or neither."),
    ],
)
def test_bad_intake_is_refused_with_a_message_and_nothing_stored(
    app, world, sign_in, overrides, message
):
    values = {
        "future": _local(utcnow() + timedelta(hours=2)),
        "ancient": _local(utcnow() - timedelta(days=61)),
    }
    data = _form(world, **{k: v.format(**values) for k, v in overrides.items()})
    r = sign_in("eco-staff").post("/queue/intake/", data=data, headers=EN)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Complaint)).first() is None


def test_an_anonymous_caller_with_a_photo(app, world, sign_in):
    data = _form(world, anonymous="y", photos=[upload(phone_jpeg())])
    r = sign_in("ind-staff").post("/queue/intake/", data=data, content_type="multipart/form-data")
    assert r.status_code == 303
    with app.app_context():
        case = db.session.scalars(select(Complaint)).one()
        assert db.session.get(Reporter, case.id).anonymous
        assert db.session.get(Reporter, case.id).phone == ""
        assert len(case.photos) == 1


def test_the_intake_page_is_staff_only(client):
    r = client.get("/queue/intake/")
    assert r.status_code in (302, 303) and "/staff/login" in r.headers["Location"]


def test_a_case_is_linked_to_a_12345_work_order_and_its_reply_exported(app, world, report, sign_in):
    case_id, number, _ = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    staff.post(f"/queue/cases/{case_id}/act", data={"action": "accept"})
    r = staff.post(f"/queue/cases/{case_id}/hotline", data={"order_no": "QZ2026-0007"}, headers=EN)
    assert r.status_code == 303
    page = staff.get(f"/queue/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert "Case " + number + " linked to 12345 work order QZ2026-0007." in page  # the flash
    assert "Transferred from the 12345 hotline" in page
    reply = "已封堵暗管，责令整改。"
    staff.post(f"/queue/cases/{case_id}/act", data={"action": "resolve", "message": reply})
    with staff.get(f"/queue/cases/{case_id}/reply.txt") as r:
        assert r.status_code == 200 and r.mimetype == "text/plain"
        text = r.get_data(as_text=True)
    assert "QZ2026-0007" in text and number in text and reply in text
    assert "答复内容" in text or "答复" in text
    assert "王五" not in text and "13712345678" not in text
    assert f"/complaints/{number}" in text
    assert staff.post(f"/queue/cases/{case_id}/hotline", data={"order_no": "x"}).status_code == 400
    # Another department cannot read it.
    assert sign_in("hou-staff").get(f"/queue/cases/{case_id}/reply.txt").status_code == 404
    assert sign_in("eco-staff").get(f"/queue/cases/{case_id}/reply.txt").status_code == 404


def test_a_photo_far_from_the_outfall_keeps_the_outfall_and_shows_staff_both_points(
    app, world, sign_in
):
    from tests.images import phone_jpeg as photo

    data = _form(world, photos=[upload(photo(gps=(21.68, 108.61)))])
    client = sign_in("ind-staff")
    r = client.post("/queue/intake/", data=data, content_type="multipart/form-data")
    assert r.status_code == 303
    with app.app_context():
        case = db.session.scalars(select(Complaint)).one()
        assert case.location_source.value == "outfall"
        assert case.location_check is not None and case.location_check.chosen == "outfall"
