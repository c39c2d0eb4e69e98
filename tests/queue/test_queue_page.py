"""The queue as staff use it all day: which deadline applies and how many working days are
left, sortable columns that page correctly, a region choice, warnings for those who can act
on them, and pages whose words say what happened."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.agencies.models import StaffMember
from portal.complaints.models import Complaint
from portal.core.clock import utcnow
from portal.core.workdays import WorkingCalendar
from portal.extensions import db
from portal.queue.calendar import deadline_state
from portal.queue.queries import QueueFilters, queue_page

EN = {"Accept-Language": "en"}


def _act(client, case_id, action, **data):
    return client.post(f"/queue/cases/{case_id}/act", data={"action": action} | data)


@pytest.mark.parametrize("sort", ["due", "received", "case"])
@pytest.mark.parametrize("desc", [False, True])
def test_keyset_pages_are_right_for_every_sort(app, world, report, sort, desc):
    ids = [report(outfall=world.outfall_code)[0] for _ in range(7)]
    with app.app_context():
        # Spread receipt and deadlines unevenly, with ties, so each order differs.
        for n, case_id in enumerate(ids):
            case = db.session.get(Complaint, case_id)
            case.created_at = utcnow() - timedelta(hours=(n * 5) % 7)
            case.complete_due_at = utcnow() + timedelta(days=(n * 3) % 4)
        db.session.commit()
        user = db.session.scalar(select(StaffMember).where(StaffMember.username == "ind-staff"))
        cases = db.session.scalars(select(Complaint)).all()
        key = {
            "due": lambda c: (c.complete_due_at, c.id),
            "received": lambda c: (c.created_at, c.id),
            "case": lambda c: (c.id,),
        }[sort]
        expected = [c.id for c in sorted(cases, key=key, reverse=desc)]
        seen, after = [], None
        filters = QueueFilters(sort=sort, desc=desc)
        while True:
            page = queue_page(user, filters, utcnow(), after=after, per_page=2)
            seen += [c.id for c in page.items]
            if not page.next_after:
                break
            after = page.next_after
        assert seen == expected


def test_a_cursor_of_another_sort_is_refused(world, sign_in, report):
    report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    for bad in ("due:2026-01-01T00:00:00+00:00_1&sort=received", "received:x_1", "case:_0"):
        assert staff.get(f"/queue/?after={bad}").status_code == 400


def test_the_queue_shows_which_deadline_applies_and_the_working_days_left(
    app, world, report, sign_in
):
    first, _, _ = report(outfall=world.outfall_code)
    second, _, _ = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    _act(staff, second, "accept")
    with app.app_context():
        late = db.session.get(Complaint, first)
        late.accept_due_at = utcnow() - timedelta(days=3)
        db.session.commit()
    page = staff.get("/queue/", headers=EN).get_data(as_text=True)
    assert "accept by" in page and "complete by" in page
    assert re.search(r"overdue by \d+ working days?", page)
    assert re.search(r"\d+ working days? left", page)
    assert 'class="row-overdue"' in page
    assert 'aria-sort="ascending"' in page  # the deadline column, by default
    assert "?sort=received" in page and "sort=case" in page


def test_deadline_state_counts_working_days():
    cal = WorkingCalendar({}, override_years=set())

    class Case:
        is_open, paused_at, accepted_at = True, None, None
        accept_due_at = datetime(2026, 11, 23, 15, 59, tzinfo=UTC)  # Monday 23:59 China time
        complete_due_at = datetime(2026, 12, 11, 15, 59, tzinfo=UTC)

    friday = datetime(2026, 11, 20, 2, tzinfo=UTC)
    state = deadline_state(Case, friday, cal)
    assert (state.kind, state.workdays_left, state.state) == ("accept", 2, "due_soon")
    Case.accepted_at = friday
    state = deadline_state(Case, friday, cal)
    assert (state.kind, state.state) == ("complete", "ok") and state.workdays_left == 16
    late = deadline_state(Case, datetime(2026, 12, 15, 2, tzinfo=UTC), cal)
    assert (late.state, late.workdays_left) == ("overdue", -2)
    Case.paused_at = friday
    assert deadline_state(Case, friday, cal).kind == "paused"


def test_the_region_filter_is_a_choice_of_regions(world, sign_in, report):
    report(outfall=world.outfall_code)
    page = sign_in("ind-staff").get("/queue/").get_data(as_text=True)
    assert '<select name="region">' in page and 'value="450702"' in page and "钦南区" in page
    assert sign_in("ind-staff").get("/queue/?region=450702").status_code == 200


def test_the_missing_holiday_year_warning_reaches_who_can_fix_it(
    app, world, report, sign_in, monkeypatch
):
    from portal.queue import views

    monkeypatch.setattr(views, "calendar_gaps", lambda now: [2027])
    case_id, _, _ = report(outfall=world.outfall_code)
    assert "2027" in sign_in("coord").get("/queue/").get_data(as_text=True)
    staff = sign_in("ind-staff")
    assert "2027" not in staff.get("/queue/").get_data(as_text=True)
    # Not on a case whose deadline the missing year does not touch…
    assert "2027" not in staff.get(f"/queue/cases/{case_id}").get_data(as_text=True)
    with app.app_context():
        db.session.get(Complaint, case_id).complete_due_at = None
        db.session.commit()
    # …but on one whose deadline it leaves empty.
    page = staff.get(f"/queue/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert "This case has no deadline yet: the holidays of 2027 are not entered" in page


def test_timeline_and_flashes_say_what_happened(app, world, report, sign_in):
    case_id, number, _ = report(outfall=world.outfall_code)
    staff, head = sign_in("ind-staff"), sign_in("ind-head")
    r = _act(staff, case_id, "accept")
    page = staff.get(r.headers["Location"]).get_data(as_text=True)
    assert f"案件 {number} 已受理。" in page
    assert "已受理 → 已受理" not in page and "→" not in page.split("<ol")[-1]
    staff.post(f"/queue/cases/{case_id}/extension", data={"days": "10", "reason": "需委托检测"})
    with app.app_context():
        from portal.queue.models import ExtensionRequest

        request_id = db.session.scalar(select(ExtensionRequest.id))
    listed = head.get("/queue/").get_data(as_text=True)
    assert number in listed and "案件 #" not in listed and "Case #" not in listed
    r = head.post(f"/queue/extensions/{request_id}/decide", data={"approve": "1"})
    page = head.get(r.headers["Location"]).get_data(as_text=True)
    assert "延期 10 天：需委托检测" in page
    assert "申请延期 10 天：需委托检测" in page
    r = staff.post(f"/queue/cases/{case_id}/note", data={"text": "已联系排口单位。"})
    flashes = re.findall(r'<p class="flash[^>]*>([^<]*)', staff.get(r.headers["Location"]).text)
    assert flashes[-1] == f"已为 {number} 添加备注。"


def test_staff_pages_have_valid_times_a_labelled_note_box_and_unique_ids(
    app, world, report, sign_in
):
    case_id, _, _ = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    _act(staff, case_id, "accept")
    for url in ("/queue/", f"/queue/cases/{case_id}", "/queue/intake/"):
        page = staff.get(url).get_data(as_text=True)
        for value in re.findall(r'<time datetime="([^"]+)"', page):
            assert re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\dZ)?", value), (url, value)
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), (url, sorted(i for i in ids if ids.count(i) > 1))
    page = staff.get(f"/queue/cases/{case_id}").get_data(as_text=True)
    assert re.search(r'<label for="text">', page) and 'id="text"' in page


def test_a_reveal_needs_the_csrf_token_and_a_forged_one_records_nothing(
    app, world, report, sign_in
):
    from portal.complaints.models import ComplaintEvent

    case_id, _, _ = report(outfall=world.outfall_code)
    staff = sign_in("ind-staff")
    app.config["WTF_CSRF_ENABLED"] = True
    assert staff.post(f"/queue/cases/{case_id}/reveal").status_code == 400
    page = staff.get(f"/queue/cases/{case_id}").get_data(as_text=True)
    assert "王五" not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = staff.post(f"/queue/cases/{case_id}/reveal", data={"csrf_token": token})
    assert r.status_code == 303
    assert "王五" in staff.get(f"/queue/cases/{case_id}").get_data(as_text=True)
    with app.app_context():
        kinds = db.session.scalars(
            select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == case_id)
        ).all()
    assert kinds.count("identity_viewed") == 1
