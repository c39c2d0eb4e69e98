"""The coordinator's admin pages: rules, route tester, holidays, templates, service levels."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.agencies.models import Department
from portal.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from portal.core.clock import utcnow
from portal.extensions import db
from portal.queue import admin_views, calendar, deadlines
from portal.queue.models import (
    CalendarOverride,
    CalendarYear,
    ResponseTemplate,
    RoutingRule,
    case_assisting,
)

# A value for each URL parameter of the admin pages (the row need not exist: the role
# check comes first).
# A report about no particular outfall: only rules blind to the outfall type can place it.
AT_THE_RIVER = {"lat": "21.95", "lon": "108.62"}
SAMPLE_ARGS = {"rule_id": 1, "template_id": 1, "day": "2026-03-04", "year": 2027}


def _admin_endpoints(app) -> list[tuple[str, str]]:
    """(method, url) of every admin page, found by walking the URL map."""
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith(f"{admin_views.bp.name}."):
                continue
            method = "GET" if "GET" in rule.methods else "POST"
            found.append(
                (method, url_for(rule.endpoint, **{a: SAMPLE_ARGS[a] for a in rule.arguments}))
            )
    return found


def _coordinator(sign_in):
    """The coordinator's client, reading English (the msgids) whatever the catalogue says."""
    client = sign_in("coord")
    client.set_cookie("lang", "en")
    return client


def _case(app, case_id) -> Complaint:
    with app.app_context():
        complaint = db.session.get(Complaint, case_id)
        db.session.expunge(complaint)
        return complaint


def _rules(app) -> list[tuple]:
    with app.app_context():
        return [
            (r.category_code, r.outfall_type, r.region_code, r.lead_department_id)
            for r in db.session.scalars(select(RoutingRule).order_by(RoutingRule.id))
        ]


def _name_en(app, department_id) -> str:
    with app.app_context():
        return db.session.get(Department, department_id).name_en


def _rule_data(**overrides) -> dict:
    return {
        "category": "",
        "outfall_type": "",
        "region_code": "",
        "lead_department": "",
        "assisting": [],
        "note": "",
    } | overrides


# --- Who may use the pages -----------------------------------------------------------


def test_every_admin_page_refuses_department_staff_and_anonymous_visitors(
    app, world, sign_in, client
):
    endpoints = _admin_endpoints(app)
    # rules ×4, calendar ×5, templates ×4, categories: a walk that found nothing proves nothing.
    assert len(endpoints) == 14, endpoints
    staff = sign_in("ind-staff")
    for method, url in endpoints:
        assert staff.open(url, method=method).status_code == 403, (method, url)
        anonymous = client.open(url, method=method)
        assert anonymous.status_code in (302, 303), (method, url)
        assert "/staff/login" in anonymous.headers["Location"], (method, url)
    assert _rules(app) == [(None, "GY", None, world.industry)]  # nothing was deleted


def test_the_coordinator_sees_every_admin_page(app, world, sign_in):
    coordinator = _coordinator(sign_in)
    for method, url in _admin_endpoints(app):
        if method == "GET" and "/1/" not in url:
            response = coordinator.get(url)
            assert response.status_code == 200, url
            assert "Sign out" in response.get_data(as_text=True), url  # the staff bar


# --- Routing rules -------------------------------------------------------------------


def test_a_rule_for_a_category_routes_new_reports_to_its_department(app, world, sign_in, report):
    before_id, _, _ = report(category="fish_kill", **AT_THE_RIVER)
    assert _case(app, before_id).department_id is None  # no rule yet: triage
    coordinator = _coordinator(sign_in)
    page = coordinator.get("/queue/rules/new").get_data(as_text=True)
    assert 'name="assisting"' in page and 'type="checkbox"' in page
    data = _rule_data(
        category="fish_kill",
        lead_department=world.housing,
        # The lead ticked as a helper too: dropped, it leads.
        assisting=[world.eco, world.housing],
        note="死鱼由住建局牵头",
    )
    response = coordinator.post("/queue/rules/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert _rules(app)[-1] == ("fish_kill", None, None, world.housing)
    with app.app_context():
        rule = db.session.scalars(select(RoutingRule).order_by(RoutingRule.id.desc())).first()
        assert [d.id for d in rule.assisting] == [world.eco]

    case_id, _, _ = report(category="fish_kill", **AT_THE_RIVER)
    case = _case(app, case_id)
    assert case.department_id == world.housing
    with app.app_context():
        assisting = set(
            db.session.scalars(
                select(case_assisting.c.department_id).where(
                    case_assisting.c.complaint_id == case_id
                )
            )
        )
    assert assisting == {world.eco}
    listing = coordinator.get("/queue/rules").get_data(as_text=True)
    assert "死鱼由住建局牵头" in listing


def test_an_exact_duplicate_or_an_unknown_region_is_refused(app, world, sign_in):
    coordinator = _coordinator(sign_in)
    # The world's rule: any category, industrial outfalls, anywhere.
    duplicate = _rule_data(outfall_type="GY", lead_department=world.housing)
    response = coordinator.post("/queue/rules/new", data=duplicate)
    assert response.status_code == 400
    assert "Another rule already covers exactly this" in response.get_data(as_text=True)
    unknown = _rule_data(outfall_type="GY", region_code="999999", lead_department=world.housing)
    response = coordinator.post("/queue/rules/new", data=unknown)
    assert response.status_code == 400 and "Unknown region code." in response.get_data(as_text=True)
    for bad in (
        {"outfall_type": "XX"},
        {"region_code": "abc"},
        {"lead_department": "99999"},
        {"assisting": ["99999"]},
        {"note": "x" * 201},
    ):
        data = _rule_data(category="other", lead_department=world.housing) | bad
        assert coordinator.post("/queue/rules/new", data=data).status_code == 400, bad
    assert len(_rules(app)) == 1
    # The same facts narrowed to a region are another rule.
    narrower = _rule_data(outfall_type="GY", region_code="450702", lead_department=world.housing)
    assert coordinator.post("/queue/rules/new", data=narrower).status_code == 303
    assert len(_rules(app)) == 2


def test_a_rule_is_edited_and_deleted(app, world, sign_in, report):
    coordinator = _coordinator(sign_in)
    data = _rule_data(category="signboard", lead_department=world.industry)
    assert coordinator.post("/queue/rules/new", data=data).status_code == 303
    with app.app_context():
        rule_id = db.session.scalar(select(func.max(RoutingRule.id)))
    form = coordinator.get(f"/queue/rules/{rule_id}/edit").get_data(as_text=True)
    assert re.search(r'<option (selected value="signboard"|value="signboard" selected)', form)
    # Editing a rule into the world's rule is the same duplicate as creating it.
    clash = _rule_data(outfall_type="GY", lead_department=world.industry)
    assert coordinator.post(f"/queue/rules/{rule_id}/edit", data=clash).status_code == 400
    # Saving a rule unchanged is not a duplicate of itself.
    assert coordinator.post(f"/queue/rules/{rule_id}/edit", data=data).status_code == 303
    changed = data | {"lead_department": world.housing, "assisting": [world.eco]}
    assert coordinator.post(f"/queue/rules/{rule_id}/edit", data=changed).status_code == 303
    assert _rules(app)[-1] == ("signboard", None, None, world.housing)
    case_id, _, _ = report(category="signboard", **AT_THE_RIVER)
    assert _case(app, case_id).department_id == world.housing

    assert coordinator.post(f"/queue/rules/{rule_id}/delete").status_code == 303
    assert len(_rules(app)) == 1
    assert coordinator.post(f"/queue/rules/{rule_id}/delete").status_code == 404
    assert coordinator.get(f"/queue/rules/{rule_id}/edit").status_code == 404
    case_id, _, _ = report(category="signboard", **AT_THE_RIVER)
    assert _case(app, case_id).department_id is None  # back to triage


def test_the_route_tester_names_the_winning_rule_or_triage(app, world, sign_in):
    coordinator = _coordinator(sign_in)
    with app.app_context():
        general_id = db.session.scalar(select(RoutingRule.id))
    query = {
        "test-category": "illegal_discharge",
        "test-outfall_type": "GY",
        "test-region_code": "450702",
    }
    page = coordinator.get("/queue/rules", query_string=query).get_data(as_text=True)
    assert f"Rule #{general_id} wins: the case goes to {_name_en(app, world.industry)}." in page
    assert f"Assisting: {_name_en(app, world.eco)}." in page

    # A rule naming the category, the type and the city outranks the type-only rule.
    specific = _rule_data(
        category="illegal_discharge",
        outfall_type="GY",
        region_code="450700",
        lead_department=world.housing,
    )
    assert coordinator.post("/queue/rules/new", data=specific).status_code == 303
    with app.app_context():
        specific_id = db.session.scalar(select(func.max(RoutingRule.id)))
    page = coordinator.get("/queue/rules", query_string=query).get_data(as_text=True)
    assert f"Rule #{specific_id} wins: the case goes to {_name_en(app, world.housing)}." in page
    assert "Assisting:" not in page
    # The list shows the rules most specific first.
    assert page.index(f'id="rule-{specific_id}"') < page.index(f'id="rule-{general_id}"')

    page = coordinator.get(
        "/queue/rules", query_string=query | {"test-outfall_type": "NY"}
    ).get_data(as_text=True)
    assert "No rule matches" in page and "Rule #" not in page
    unknown = coordinator.get("/queue/rules", query_string=query | {"test-region_code": "999999"})
    assert unknown.status_code == 400 and "Unknown region code." in unknown.get_data(as_text=True)
    bad = coordinator.get("/queue/rules", query_string=query | {"test-category": "nonsense"})
    assert bad.status_code == 400


# --- Holidays ------------------------------------------------------------------------


def _receive_at(app, case_id, received: datetime):
    """Pretend the case came in at `received` and store its deadlines for that."""
    with app.app_context():
        complaint = db.session.get(Complaint, case_id)
        complaint.created_at = received
        calendar.recompute_deadlines(complaint, calendar.load_calendar(), utcnow())
        db.session.commit()


def _local_day(moment: datetime | None) -> date | None:
    return deadlines.local_date(moment) if moment else None


def test_a_holiday_on_a_working_day_moves_open_deadlines_later(app, world, sign_in, report):
    case_id, _, _ = report(outfall=world.outfall_code)
    # Monday 2 March 2026, 10:00 in China: accept by Wed 4 March, complete by Mon 23 March.
    _receive_at(app, case_id, datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    before = _case(app, case_id)
    assert _local_day(before.accept_due_at) == date(2026, 3, 4)
    assert _local_day(before.complete_due_at) == date(2026, 3, 23)
    coordinator = _coordinator(sign_in)

    # A holiday after the deadline moves nothing.
    late = {"day": "2026-03-30", "kind": "holiday", "note": ""}
    response = coordinator.post("/queue/calendar/days", data=late, follow_redirects=True)
    assert "The deadlines of 0 open cases changed." in response.get_data(as_text=True)
    assert _case(app, case_id).complete_due_at == before.complete_due_at

    day = {"day": "2026-03-04", "kind": "holiday", "note": "临时停工"}
    response = coordinator.post("/queue/calendar/days", data=day, follow_redirects=True)
    assert "The deadlines of 1 open case changed." in response.get_data(as_text=True)
    after = _case(app, case_id)
    assert _local_day(after.accept_due_at) == date(2026, 3, 5)
    assert _local_day(after.complete_due_at) == date(2026, 3, 24)
    page = coordinator.get("/queue/calendar").get_data(as_text=True)
    assert "临时停工" in page and 'datetime="2026-03-04"' in page

    # Changing the same day back to a working day is an update, not a second row.
    workday = day | {"kind": "workday"}
    assert coordinator.post("/queue/calendar/days", data=workday).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarOverride)) == 2
    assert _case(app, case_id).complete_due_at == before.complete_due_at

    assert coordinator.post("/queue/calendar/days/2026-03-04/delete").status_code == 303
    assert coordinator.post("/queue/calendar/days/2026-03-04/delete").status_code == 404
    assert coordinator.post("/queue/calendar/days/not-a-day/delete").status_code == 404
    assert _case(app, case_id).complete_due_at == before.complete_due_at
    for bad in ({"day": ""}, {"day": "2026-02-30"}, {"day": "1999-12-31"}, {"kind": "maybe"}):
        assert coordinator.post("/queue/calendar/days", data=day | bad).status_code == 400, bad


def test_closed_cases_keep_their_deadlines(app, world, sign_in, report):
    case_id, _, _ = report(outfall=world.outfall_code)
    _receive_at(app, case_id, datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    with app.app_context():
        db.session.get(Complaint, case_id).status = ComplaintStatus.closed
        db.session.commit()
    before = _case(app, case_id).complete_due_at
    coordinator = _coordinator(sign_in)
    coordinator.post("/queue/calendar/days", data={"day": "2026-03-04", "kind": "holiday"})
    assert _case(app, case_id).complete_due_at == before


def test_a_transferred_case_keeps_its_acceptance_clock_from_the_transfer(
    app, world, sign_in, report
):
    case_id, _, _ = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    response = staff.post(
        f"/queue/cases/{case_id}/act",
        data={"action": "transfer", "message": "属住建部门", "department_id": world.housing},
    )
    assert response.status_code == 303
    with app.app_context():
        # Received long before the transfer: counted from receipt it would be overdue.
        complaint = db.session.get(Complaint, case_id)
        complaint.created_at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
        db.session.commit()
    accept_before = _case(app, case_id).accept_due_at
    coordinator = _coordinator(sign_in)
    coordinator.post("/queue/calendar/days", data={"day": "2026-03-04", "kind": "holiday"})
    after = _case(app, case_id)
    assert after.accept_due_at == accept_before
    assert _local_day(after.complete_due_at) == date(2026, 3, 24)


def test_marking_next_year_entered_gives_late_december_cases_a_deadline(
    app, world, sign_in, report, monkeypatch
):
    monkeypatch.setattr(admin_views, "local_today", lambda: date(2026, 11, 22))
    case_id, _, _ = report(outfall=world.outfall_code)
    # Sunday 20 December 2026: fifteen working days run into 2027, which nobody knows yet.
    _receive_at(app, case_id, datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    assert _case(app, case_id).complete_due_at is None
    coordinator = _coordinator(sign_in)
    page = coordinator.get("/queue/calendar").get_data(as_text=True)
    assert "Deadlines may soon reach 2027" in page
    assert "1 open case has no deadline yet." in page
    assert re.search(r'<input[^>]*name="year"[^>]*value="2027"', page)  # the year at risk

    response = coordinator.post(
        "/queue/calendar/years", data={"year": "2027"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "The deadlines of 1 open case changed." in page
    assert "Deadlines may soon reach" not in page
    due = _local_day(_case(app, case_id).complete_due_at)
    # Monday to Friday until holidays are entered: 9 working days in 2026, then 6 in 2027.
    assert due == date(2027, 1, 8)
    with app.app_context():
        assert db.session.get(CalendarYear, 2027) is not None

    # New Year's Day entered as a holiday pushes it one working day on.
    coordinator.post("/queue/calendar/days", data={"day": "2027-01-01", "kind": "holiday"})
    assert _local_day(_case(app, case_id).complete_due_at) == date(2027, 1, 11)

    # Withdrawing the mark leaves the deadline empty again, and says so.
    response = coordinator.post("/queue/calendar/years/2027/delete", follow_redirects=True)
    assert "1 open case still has no deadline" in response.get_data(as_text=True)
    assert _case(app, case_id).complete_due_at is None
    assert coordinator.post("/queue/calendar/years/2027/delete").status_code == 404
    for bad in ("1999", "2101", "", "abc"):
        assert coordinator.post("/queue/calendar/years", data={"year": bad}).status_code == 400


def test_recompute_goes_through_every_batch(app, world, report):
    ids = [report(outfall=world.outfall_code)[0] for _ in range(5)]
    for case_id in ids:
        _receive_at(app, case_id, datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    with app.app_context():
        db.session.add(CalendarOverride(day=date(2026, 3, 4), is_workday=False, note=""))
        db.session.flush()
        result = calendar.recompute_open_deadlines(date(2026, 3, 4), utcnow(), batch=2)
        db.session.commit()
    assert result.updated == 5 and result.undated == 0
    assert {_local_day(_case(app, i).complete_due_at) for i in ids} == {date(2026, 3, 24)}


# --- Reply templates -----------------------------------------------------------------


def test_reply_templates_are_created_edited_deleted_and_offered_on_the_case(
    app, world, sign_in, report
):
    case_id, _, _ = report(outfall=world.outfall_code)  # illegal_discharge
    coordinator = _coordinator(sign_in)
    for category, title in (
        ("illegal_discharge", "已派员核查"),
        ("", "感谢您的监督"),
        ("fish_kill", "死鱼已打捞"),
    ):
        data = {"category": category, "title": title, "body": f"{title}。详情见回复。"}
        assert coordinator.post("/queue/templates/new", data=data).status_code == 303
    case_page = coordinator.get(f"/queue/cases/{case_id}").get_data(as_text=True)
    assert "已派员核查" in case_page and "感谢您的监督" in case_page
    assert "死鱼已打捞" not in case_page  # another category's template
    listing = coordinator.get("/queue/templates").get_data(as_text=True)
    assert all(t in listing for t in ("已派员核查", "感谢您的监督", "死鱼已打捞"))

    with app.app_context():
        template_id = db.session.scalar(
            select(ResponseTemplate.id).where(ResponseTemplate.title == "已派员核查")
        )
    form = coordinator.get(f"/queue/templates/{template_id}/edit").get_data(as_text=True)
    assert "已派员核查。详情见回复。" in form
    edited = {"category": "illegal_discharge", "title": "已现场核查", "body": "已现场核查。"}
    assert coordinator.post(f"/queue/templates/{template_id}/edit", data=edited).status_code == 303
    case_page = coordinator.get(f"/queue/cases/{case_id}").get_data(as_text=True)
    assert "已现场核查" in case_page and "已派员核查" not in case_page

    assert coordinator.post(f"/queue/templates/{template_id}/delete").status_code == 303
    assert "已现场核查" not in coordinator.get(f"/queue/cases/{case_id}").get_data(as_text=True)
    assert coordinator.post(f"/queue/templates/{template_id}/delete").status_code == 404
    for bad in (
        {"title": ""},
        {"title": "x" * 121},
        {"body": ""},
        {"body": "x" * 4001},
        {"category": "nonsense"},
    ):
        data = {"category": "", "title": "t", "body": "b"} | bad
        assert coordinator.post("/queue/templates/new", data=data).status_code == 400, bad
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ResponseTemplate)) == 2


# --- Service levels ------------------------------------------------------------------


def _category_rows(app, **changes) -> dict:
    """The categories page's form data as it stands, with changes {code: {field: value}}."""
    data = {}
    with app.app_context():
        categories = db.session.scalars(
            select(ComplaintCategory).order_by(ComplaintCategory.position, ComplaintCategory.id)
        ).all()
        for i, c in enumerate(categories):
            row = {
                "code": c.code,
                "urgent": c.urgent,
                "accept_workdays": c.accept_workdays,
                "complete_workdays": c.complete_workdays,
                "active": c.active,
            } | changes.get(c.code, {})
            for key, value in row.items():
                if value is True:
                    data[f"rows-{i}-{key}"] = "y"
                elif value is not False:
                    data[f"rows-{i}-{key}"] = str(value)
    return data


def _accept_day(app, case_id, workdays: int) -> date:
    """The acceptance day a case received when it was should have with `workdays`."""
    with app.app_context():
        received = db.session.get(Complaint, case_id).created_at
        return calendar.load_calendar().add_workdays(deadlines.local_date(received), workdays)


def test_service_levels_of_a_category_apply_to_new_reports(app, world, sign_in, report):
    first, _, _ = report(outfall=world.outfall_code)
    assert _local_day(_case(app, first).accept_due_at) == _accept_day(app, first, 2)
    coordinator = _coordinator(sign_in)
    page = coordinator.get("/queue/categories").get_data(as_text=True)
    assert "Fish kill or other ecological anomaly" in page and 'name="rows-0-code"' in page

    changes = {"illegal_discharge": {"accept_workdays": 5, "complete_workdays": 20, "urgent": True}}
    response = coordinator.post("/queue/categories", data=_category_rows(app, **changes))
    assert response.status_code == 303
    second, _, _ = report(outfall=world.outfall_code)
    case = _case(app, second)
    assert _local_day(case.accept_due_at) == _accept_day(app, second, 5)
    assert case.urgent
    assert _local_day(_case(app, first).accept_due_at) == _accept_day(app, first, 2)

    # Deactivating a category takes it off the citizens' form.
    rows = _category_rows(app, other={"active": False})
    assert coordinator.post("/queue/categories", data=rows).status_code == 303
    with app.app_context():
        other = db.session.scalars(
            select(ComplaintCategory).where(ComplaintCategory.code == "other")
        ).one()
        assert not other.active and other.accept_workdays == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"illegal_discharge": {"accept_workdays": 0}},
        {"illegal_discharge": {"accept_workdays": 11}},
        {"illegal_discharge": {"complete_workdays": 61}},
        {"illegal_discharge": {"accept_workdays": 5, "complete_workdays": 4}},
        {"illegal_discharge": {"accept_workdays": ""}},
        {"illegal_discharge": {"code": "nonsense"}},
        {"other": {"code": "fish_kill"}},
    ],
)
def test_service_levels_out_of_range_or_forged_rows_are_refused(app, world, sign_in, changes):
    coordinator = _coordinator(sign_in)
    response = coordinator.post("/queue/categories", data=_category_rows(app, **changes))
    assert response.status_code == 400
    with app.app_context():
        row = db.session.scalars(
            select(ComplaintCategory).where(ComplaintCategory.code == "illegal_discharge")
        ).one()
        assert (row.accept_workdays, row.complete_workdays) == (2, 15)
