"""Routing, scoping, the workflow and its notifications, through the staff pages."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.agencies.models import Department
from portal.complaints.models import Complaint, ComplaintEvent, ComplaintStatus
from portal.core.clock import utcnow
from portal.extensions import db
from portal.notify.models import OutboxMessage


def _case(app, case_id) -> Complaint:
    with app.app_context():
        complaint = db.session.get(Complaint, case_id)
        db.session.expunge(complaint)
        return complaint


def _kinds(app, case_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(ComplaintEvent.kind)
                .where(ComplaintEvent.complaint_id == case_id)
                .order_by(ComplaintEvent.seq)
            )
        )


def _outbox(app, recipient) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        ).all()
        db.session.expunge_all()
        return rows


def _act(client, case_id, action, **data):
    return client.post(f"/queue/cases/{case_id}/act", data={"action": action} | data)


def test_a_report_at_an_industrial_outfall_goes_to_industry_with_deadlines(app, world, report):
    case_id, number, _ = report(outfall=world.outfall_code)
    case = _case(app, case_id)
    assert case.department_id == world.industry
    assert case.accept_due_at is not None and case.complete_due_at > case.accept_due_at
    assert _kinds(app, case_id) == ["submitted", "routed"]
    mail = _outbox(app, "industry@qinzhou.example.com")
    assert len(mail) == 1 and number in mail[0].subject
    assert "王五" not in mail[0].body  # identity is not mailed around


def test_what_no_rule_places_waits_for_the_coordinator(app, world, report, sign_in):
    case_id, number, _ = report(outfall=world.orphan_outfall_code)
    assert _case(app, case_id).department_id is None
    assert _kinds(app, case_id)[-1] == "triage"
    assert len(_outbox(app, "eco@qinzhou.example.com")) == 1
    coordinator = sign_in("coord")
    assert number in coordinator.get("/queue/?triage=1").get_data(as_text=True)
    staff = sign_in("ind-staff")
    assert number not in staff.get("/queue/").get_data(as_text=True)
    assert staff.get(f"/queue/cases/{case_id}").status_code == 404


def test_a_case_id_typed_into_a_url_reveals_nothing_to_other_departments(
    app, world, report, sign_in
):
    case_id, _, _ = report(outfall=world.outfall_code)
    other = sign_in("hou-staff")
    for url in (f"/queue/cases/{case_id}", f"/queue/cases/{case_id}/photos/1/photo"):
        assert other.get(url).status_code == 404
    for url, data in (
        (f"/queue/cases/{case_id}/act", {"action": "accept"}),
        (f"/queue/cases/{case_id}/note", {"text": "x"}),
        (f"/queue/cases/{case_id}/extension", {"days": "5", "reason": "x"}),
    ):
        assert other.post(url, data=data).status_code == 404
    assert _case(app, case_id).status is ComplaintStatus.submitted


def test_reporter_identity_only_for_the_handling_department_and_only_a_reveal_recorded(
    app, world, report, sign_in
):
    case_id, _, _ = report(outfall=world.outfall_code)
    handler = sign_in("ind-staff")
    for _ in range(3):  # viewing the case is no access to the identity
        page = handler.get(f"/queue/cases/{case_id}").get_data(as_text=True)
        assert "王五" not in page and "13712345678" not in page
        assert f'action="/queue/cases/{case_id}/reveal"' in page
    assert "identity_viewed" not in _kinds(app, case_id)
    r = handler.post(f"/queue/cases/{case_id}/reveal")
    assert r.status_code == 303 and r.headers["Location"].endswith("#reporter-h")
    for _ in range(3):  # shown for a while after the one click, recorded once
        handling = handler.get(f"/queue/cases/{case_id}").get_data(as_text=True)
        assert "王五" in handling and "13712345678" in handling
    assert _kinds(app, case_id).count("identity_viewed") == 1
    assert handler.get(f"/queue/cases/{case_id}/reveal").status_code == 405
    assisting = sign_in("eco-staff")
    page = assisting.get(f"/queue/cases/{case_id}").get_data(as_text=True)
    assert "王五" not in page and "13712345678" not in page
    assert "/reveal" not in page
    assert 'name="action"' not in page  # an assisting department adds notes, no actions
    assert assisting.post(f"/queue/cases/{case_id}/reveal").status_code == 404
    assert sign_in("hou-staff").post(f"/queue/cases/{case_id}/reveal").status_code == 404
    assert _kinds(app, case_id).count("identity_viewed") == 1


def test_accept_start_ask_reply_resolve_rate_and_close(app, world, report, sign_in, client):
    case_id, number, token = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    assert _act(staff, case_id, "accept").status_code == 303
    assert _act(staff, case_id, "start").status_code == 303
    assert _act(staff, case_id, "ask_reporter", message="排口具体在哪座桥下？").status_code == 303
    case = _case(app, case_id)
    assert case.status is ComplaintStatus.awaiting_reporter and case.paused_at is not None
    due_before = case.complete_due_at
    # The reporter answers on the tracking page: the clock runs again.
    client.post(f"/complaints/t/{token}/info", data={"message": "在二号桥下游。"})
    case = _case(app, case_id)
    assert case.status is ComplaintStatus.in_progress and case.paused_at is None
    assert case.complete_due_at >= due_before
    # Resolving needs a public reply.
    assert _act(staff, case_id, "resolve").status_code == 400
    reply = "已封堵暗管并立案查处，罚款五万元。"
    assert _act(staff, case_id, "resolve", message=reply).status_code == 303
    tracking = client.get(f"/complaints/t/{token}").get_data(as_text=True)
    assert reply in tracking
    public = client.get(f"/complaints/{number}").get_data(as_text=True)
    assert reply in public and "王五" not in public
    assert any(reply in m.body for m in _outbox(app, "wangwu@example.com"))
    assert client.post(f"/complaints/t/{token}/rate", data={"rating": "5"}).status_code == 303
    assert _act(staff, case_id, "close").status_code == 303
    assert _case(app, case_id).status is ComplaintStatus.closed


def test_rejection_needs_a_reason_and_is_sent_to_the_reporter(app, world, report, sign_in):
    case_id, _, _ = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    assert _act(staff, case_id, "reject").status_code == 400
    assert _act(staff, case_id, "reject", message="不属于排污口问题。").status_code == 303
    assert _case(app, case_id).status is ComplaintStatus.rejected
    assert any("不属于排污口问题" in m.body for m in _outbox(app, "wangwu@example.com"))
    # Only the coordinator may reopen a rejected case.
    assert _act(staff, case_id, "reopen").status_code == 400
    assert _act(sign_in("coord"), case_id, "reopen").status_code == 303


def test_transfer_moves_the_case_and_restarts_the_acceptance_clock(app, world, report, sign_in):
    case_id, _, _ = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    r = _act(staff, case_id, "transfer", message="属住建部门管辖", department_id=world.housing)
    assert r.status_code == 303 and r.headers["Location"].endswith("/queue/")
    case = _case(app, case_id)
    assert case.department_id == world.housing and case.status is ComplaintStatus.transferred
    assert staff.get(f"/queue/cases/{case_id}").status_code == 404
    page = sign_in("hou-staff").get(f"/queue/cases/{case_id}")
    assert page.status_code == 200
    with app.app_context():
        housing = db.session.get(Department, world.housing).name
    # The timeline names the department the case went to, then the reason.
    html = page.get_data(as_text=True)
    assert f"已转交{housing}" in html and "属住建部门管辖" in html
    assert len(_outbox(app, "housing@qinzhou.example.com")) == 1


def test_extension_is_requested_once_approved_by_the_head_and_shown_to_the_reporter(
    app, world, report, sign_in, client
):
    case_id, _, token = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    _act(staff, case_id, "accept")
    before = _case(app, case_id).complete_due_at
    data = {"days": "10", "reason": "需委托第三方检测"}
    assert staff.post(f"/queue/cases/{case_id}/extension", data=data).status_code == 303
    assert staff.post(f"/queue/cases/{case_id}/extension", data=data).status_code == 400
    assert (
        staff.post(
            f"/queue/cases/{case_id}/extension", data={"days": "45", "reason": "x"}
        ).status_code
        == 400
    )
    with app.app_context():
        from portal.queue.models import ExtensionRequest

        request_id = db.session.scalar(select(ExtensionRequest.id))
    # A staff member cannot approve their own request; the head can.
    assert (
        staff.post(f"/queue/extensions/{request_id}/decide", data={"approve": "1"}).status_code
        == 403
    )
    head = sign_in("ind-head")
    assert (
        head.post(f"/queue/extensions/{request_id}/decide", data={"approve": "1"}).status_code
        == 303
    )
    after = _case(app, case_id)
    assert after.extension_days == 10 and after.complete_due_at >= before + timedelta(days=10)
    assert "需委托第三方检测" in client.get(f"/complaints/t/{token}").get_data(as_text=True)


def test_merging_a_duplicate_tells_both_reporters(app, world, report, sign_in):
    first_id, first_no, _ = report(outfall=world.outfall_code)
    second_id, second_no, _ = report(
        outfall=world.outfall_code, email="zhao@example.com", phone="13600000000", name="赵六"
    )
    staff = sign_in("ind-staff")
    r = _act(staff, second_id, "merge", message="同一问题", merge_into=first_no)
    assert r.status_code == 303
    assert _case(app, second_id).status is ComplaintStatus.merged
    assert _case(app, first_id).supporters == 1
    assert any(
        first_no in m.body or second_no in m.body
        for m in _outbox(app, "wangwu@example.com")
        if "merged" in m.body or second_no in m.body
    )
    assert _outbox(app, "zhao@example.com")  # the merged report's reporter is told too
    assert (
        _act(staff, first_id, "merge", message="x", merge_into="TS-1999-000001").status_code == 400
    )


def test_tick_warns_escalates_and_closes_once(app, world, report, runner):
    case_id, number, _ = report(outfall=world.outfall_code)
    resolved_id, _, _ = report(outfall=world.outfall_code)
    with app.app_context():
        now = utcnow()
        case = db.session.get(Complaint, case_id)
        case.accepted_at = now
        case.status = ComplaintStatus.accepted
        case.complete_due_at = now - timedelta(hours=1)
        old = db.session.get(Complaint, resolved_id)
        old.status, old.resolved_at = ComplaintStatus.resolved, now - timedelta(days=8)
        db.session.commit()
    first = runner.invoke(args=["portal", "tick"])
    assert "1 escalated" in first.output and "1 closed" in first.output
    second = runner.invoke(args=["portal", "tick"])
    assert "0 warned, 0 escalated, 0 closed" in second.output
    assert _case(app, resolved_id).status is ComplaintStatus.closed
    assert _outbox(app, "ind-head@qinzhou.example.com")
    assert _outbox(app, "coord@qinzhou.example.com")
    assert "escalated" in _kinds(app, case_id)
    from portal.agencies.models import StaffMember
    from portal.queue.queries import QueueFilters, queue_page

    with app.app_context():
        coordinator = db.session.scalars(
            select(StaffMember).where(StaffMember.username == "coord")
        ).one()
        page = queue_page(coordinator, QueueFilters(escalated=True), utcnow(), after=None)
        assert [c.tracking_no for c in page.items] == [number]


def test_tick_warns_one_working_day_before_the_deadline(app, world, report, runner):
    from portal.queue import deadlines
    from portal.queue.calendar import load_calendar

    case_id, _, _ = report(outfall=world.outfall_code)
    with app.app_context():
        now = utcnow()
        case = db.session.get(Complaint, case_id)
        cal = load_calendar()
        # Due at the end of the next working day: the warning starts today.
        tomorrow = cal.add_workdays(deadlines.local_date(now), 1)
        case.complete_due_at = deadlines.end_of_local_day(tomorrow)
        db.session.commit()
    out = runner.invoke(args=["portal", "tick"]).output
    assert "1 warned" in out
    assert "0 warned" in runner.invoke(args=["portal", "tick"]).output


def test_audit_verify_finds_a_tampered_event(app, world, report, runner):
    case_id, number, _ = report(outfall=world.outfall_code)
    assert runner.invoke(args=["portal", "audit", "verify"]).output.strip() == "Audit trail intact."
    with app.app_context():
        event = db.session.scalars(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == case_id, ComplaintEvent.seq == 2
            )
        ).one()
        event.message = "篡改"
        db.session.commit()
    result = runner.invoke(args=["portal", "audit", "verify"])
    assert result.exit_code == 1
    assert f"case {number}, event 2" in result.output


def test_queue_filters_and_bad_parameters(app, world, report, sign_in):
    case_id, number, _ = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    assert number in staff.get("/queue/").get_data(as_text=True)
    assert number in staff.get("/queue/?category=illegal_discharge").get_data(as_text=True)
    assert number not in staff.get("/queue/?category=fish_kill").get_data(as_text=True)
    assert number not in staff.get("/queue/?overdue=1").get_data(as_text=True)
    assert number in staff.get(f"/queue/?outfall={world.outfall_code}").get_data(as_text=True)
    assert number in staff.get("/queue/?region=450700").get_data(as_text=True)
    for bad in ("state=nonsense", "region=abc", "after=garbage", "department=-1"):
        assert staff.get(f"/queue/?{bad}").status_code == 400, bad


def test_queue_pages_through_cases_by_deadline(app, world, report):
    from portal.agencies.models import StaffMember
    from portal.queue.queries import QueueFilters, queue_page

    ids = [report(outfall=world.outfall_code)[0] for _ in range(5)]
    with app.app_context():
        user = db.session.scalars(
            select(StaffMember).where(StaffMember.username == "ind-staff")
        ).one()
        seen, after = [], None
        while True:
            page = queue_page(user, QueueFilters(), utcnow(), after=after, per_page=2)
            seen += [c.id for c in page.items]
            if not page.next_after:
                break
            after = page.next_after
    assert seen == ids


def test_public_scorecard_counts_a_department(app, world, report, sign_in, client):
    case_id, _, _ = report(outfall=world.outfall_code)
    _act(sign_in("ind-staff"), case_id, "accept")
    page = client.get(f"/departments/{world.industry}", headers={"Accept-Language": "zh"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "市工业和信息化局" in text
    assert "100%" in text  # accepted on time
    assert "王五" not in text
    assert client.get("/departments/99999").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_every_action_has_one_handler():
    from portal.queue.actions import HANDLERS
    from portal.queue.states import Action

    assert set(HANDLERS) == set(Action)


@pytest.mark.parametrize("role_user", ["ind-staff", "hou-staff"])
def test_coordinator_pages_refuse_department_staff(world, sign_in, role_user):
    assert sign_in(role_user).get("/queue/overview").status_code == 403


def test_the_queue_warns_when_deadlines_reach_a_year_without_holidays(app, world, sign_in):
    from datetime import UTC, datetime

    from portal.queue.calendar import calendar_gaps
    from portal.queue.models import CalendarYear

    with app.app_context():
        late_2026 = datetime(2026, 12, 1, tzinfo=UTC)
        assert calendar_gaps(late_2026) == [2027]
        db.session.add(CalendarYear(year=2027))
        db.session.commit()
        assert calendar_gaps(late_2026) == []


def test_a_deadline_in_an_unentered_year_is_left_empty_not_guessed(app, world, report):
    from datetime import UTC, datetime

    from portal.queue.calendar import load_calendar, recompute_deadlines
    from portal.queue.models import CalendarYear

    case_id, _, _ = report(outfall=world.outfall_code)
    with app.app_context():
        case = db.session.get(Complaint, case_id)
        case.created_at = datetime(2026, 12, 20, 2, tzinfo=UTC)
        assert recompute_deadlines(case, load_calendar(), case.created_at) is False
        assert case.complete_due_at is None
        db.session.add(CalendarYear(year=2027))
        db.session.flush()
        assert recompute_deadlines(case, load_calendar(), case.created_at)
        assert case.complete_due_at.year == 2027


def test_a_forged_host_header_never_reaches_the_departments_mail(app, client, world):
    app.config["PUBLIC_BASE_URL"] = None  # as in development: still never the request's host
    r = client.post(
        "/complaints/new",
        data={
            "category": "illegal_discharge",
            "description": "暗管",
            "outfall": world.outfall_code,
        },
        headers={"Host": "evil.example"},
    )
    assert r.status_code == 303
    (mail,) = _outbox(app, "industry@qinzhou.example.com")
    assert "evil.example" not in mail.body
    assert "http://127.0.0.1:5000/queue/cases/" in mail.body
