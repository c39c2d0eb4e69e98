"""The departments' monthly figures: kept current by every change of a case, equal to a
recomputation from the cases, and shown side by side and as a trend."""

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.complaints.models import Complaint, ComplaintEvent
from portal.core.clock import utcnow
from portal.extensions import db
from portal.queue import rollup
from portal.queue.models import DepartmentMonth

FIGURES = rollup.FIGURES


def _act(client, case_id, action, **data):
    r = client.post(f"/queue/cases/{case_id}/act", data={"action": action} | data)
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    return r


def _recomputed() -> dict:
    """Every department-month's figures from the raw rows, in Python (independent of SQL)."""
    cal = rollup.load_calendar()
    reopened = set(
        db.session.scalars(
            select(ComplaintEvent.complaint_id).where(
                ComplaintEvent.kind.in_(["disputed", "reopen"])
            )
        )
    )
    out = defaultdict(lambda: dict.fromkeys(FIGURES, 0) | {"completion_days": Counter()})
    for c in db.session.scalars(select(Complaint)):
        if c.department_id is None or c.merged_into_id is not None:
            continue
        row = out[(c.department_id, rollup.month_key(c.created_at))]
        row["received"] += 1
        if c.accepted_at is not None:
            row["accepted"] += 1
            row["accepted_on_time"] += bool(c.accept_due_at and c.accepted_at <= c.accept_due_at)
        if c.resolved_at is not None:
            row["completed"] += 1
            row["completed_on_time"] += bool(
                c.complete_due_at and c.resolved_at <= c.complete_due_at
            )
            row["completion_days"][
                rollup.completion_workdays(c.created_at, c.resolved_at, cal)
            ] += 1
        row["extended"] += c.extension_days > 0
        row["reopened"] += c.id in reopened
        if c.rating is not None:
            row["rated"] += 1
            row["rating_sum"] += c.rating
    return dict(out)


def _stored() -> dict:
    rows = {}
    for r in db.session.scalars(select(DepartmentMonth)):
        figures = {name: getattr(r, name) for name in FIGURES}
        figures["completion_days"] = Counter({int(k): v for k, v in r.completion_days.items()})
        if figures["received"]:
            rows[(r.department_id, r.month)] = figures
        else:  # a month a transfer emptied: all zeros
            assert not any(figures[n] for n in FIGURES) and not figures["completion_days"]
    return rows


def _assert_rollup_is_exact(app):
    with app.app_context():
        expected = _recomputed()
        assert expected, "nothing to compare"
        assert _stored() == expected
        # And the rebuild from scratch writes the same.
        rollup.rebuild()
        assert _stored() == expected
        db.session.rollback()


def test_the_rollup_equals_a_recomputation_after_every_kind_of_change(
    app, world, report, sign_in, client
):
    ids = [report(outfall=world.outfall_code)[0] for _ in range(5)]
    tokens = {}
    staff, head, coord = sign_in("ind-staff"), sign_in("ind-head"), sign_in("coord")
    with app.app_context():
        from portal.complaints.tokens import make_token

        for case_id in ids:
            c = db.session.get(Complaint, case_id)
            tokens[case_id] = make_token(c.token_nonce, app.config["SECRET_KEY"])
        # One report arrived last month (a letter entered late counts in its own month).
        old = db.session.get(Complaint, ids[4])
        old.created_at = utcnow() - timedelta(days=40)
        db.session.commit()
    _assert_rollup_is_exact(app)

    a, b, c, d, e = ids
    # Accepted, resolved, rated: completed with working days.
    _act(staff, a, "accept")
    _act(staff, a, "resolve", message="已处理。")
    client.post(f"/complaints/t/{tokens[a]}/rate", data={"rating": "4"})
    # Resolved, then disputed by the reporter: reopened.
    _act(staff, b, "accept")
    _act(staff, b, "resolve", message="已处理。")
    client.post(f"/complaints/t/{tokens[b]}/dispute", data={"reason": "仍在排放黑水。"})
    _assert_rollup_is_exact(app)
    # Extended by the head.
    _act(staff, c, "accept")
    staff.post(f"/queue/cases/{c}/extension", data={"days": "10", "reason": "需检测"})
    with app.app_context():
        from portal.queue.models import ExtensionRequest

        request_id = db.session.scalar(select(ExtensionRequest.id))
    head.post(f"/queue/extensions/{request_id}/decide", data={"approve": "1"})
    # Transferred to housing: it leaves industry's month and joins housing's.
    _act(staff, d, "transfer", message="属住建部门", department_id=world.housing)
    # Rejected, then reopened by the coordinator; the old one is resolved.
    _act(staff, e, "reject", message="不属实")
    _act(coord, e, "reopen", message="复核")
    _act(staff, e, "resolve", message="已核实处理")
    _assert_rollup_is_exact(app)

    with app.app_context():
        industry = {
            r.month: r
            for r in db.session.scalars(select(DepartmentMonth)).all()
            if r.department_id == world.industry
        }
        this_month = rollup.month_key(utcnow())
        row = industry[this_month]
        assert row.received == 3  # a, b, c (d moved to housing, e is last month's)
        assert row.rated == 1 and row.rating_sum == 4 and row.reopened == 1 and row.extended == 1
        housing = db.session.get(DepartmentMonth, (world.housing, this_month))
        assert housing.received == 1


def test_the_tick_and_the_command_refresh_what_a_bulk_write_bypassed(app, world, report, runner):
    case_id = report(outfall=world.outfall_code)[0]
    with app.app_context():
        # A write that bypasses the session's events (as a bulk load would).
        db.session.execute(
            Complaint.__table__.update().where(Complaint.__table__.c.id == case_id).values(rating=5)
        )
        db.session.commit()
        assert _stored() != _recomputed()
    assert "department-month" in runner.invoke(args=["portal", "tick"]).output
    with app.app_context():
        assert _stored() == _recomputed()
    result = runner.invoke(args=["portal", "rollup", "--rebuild"])
    assert result.exit_code == 0 and "figures written" in result.output


def test_the_median_comes_from_the_histogram():
    figures = rollup.Figures(completion_days=Counter({2: 1, 5: 2, 9: 1}))
    assert figures.median_workdays == 5
    figures.completion_days[1] += 2
    assert figures.median_workdays == 3.5  # 1 1 2 5 5 9
    assert rollup.Figures().median_workdays is None


def test_the_comparison_lists_every_department_sortable_and_linked(
    app, world, report, sign_in, client
):
    for _ in range(2):
        _act(sign_in("ind-staff"), report(outfall=world.outfall_code)[0], "accept")
    page = client.get("/departments/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for heading in (
        "Received",
        "Accepted on time",
        "Completed on time",
        "Median working days to completion",
        "Extensions",
        "Reopen rate",
        "Mean satisfaction (of 5)",
    ):
        assert heading in page
    assert f'href="/departments/{world.industry}?period=12m"' in page
    assert 'aria-sort="descending"' in page
    # Sorted by received: industry (2) first; ascending puts it last.
    order = [page.index(name) for name in ("Industry", "Housing")] if "Industry" in page else None
    zh = client.get("/departments/?sort=received&dir=desc").get_data(as_text=True)
    assert zh.index("市工业和信息化局") < zh.index("市住房城乡建设局")
    asc = client.get("/departments/?sort=received&dir=asc").get_data(as_text=True)
    assert asc.index("市工业和信息化局") > asc.index("市住房城乡建设局")
    assert order is None or order[0] < order[1]
    by_name = client.get("/departments/?sort=name&dir=asc")
    assert by_name.status_code == 200
    # Linked from the main navigation and the footer of every page.
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/departments/"') >= 2


@pytest.mark.parametrize(
    "query",
    ["period=7d", "period=1999", "period=2026-13", "sort=drop", "period=30d"],
)
def test_the_comparison_refuses_a_bad_period_or_column(client, world, query):
    r = client.get(f"/departments/?{query}", headers={"Accept-Language": "en"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Choose one of the periods offered." in page or "Choose one of the columns" in page


def test_a_department_page_has_a_trend_chart_and_its_numbers_as_a_table(
    app, world, report, sign_in, client
):
    _act(sign_in("ind-staff"), report(outfall=world.outfall_code)[0], "accept")
    r = client.get(f"/departments/{world.industry}", headers={"Accept-Language": "en"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<svg class="trend-chart"' in page and 'role="img"' in page
    assert "<desc" in page and "<table>" in page and "By month" in page
    assert "<script" not in page.split("<footer")[0].split("</header>")[1]
    assert " style=" not in page  # CSP: no inline style
    assert client.get(f"/departments/{world.industry}?period=2026").status_code == 200
    assert client.get(f"/departments/{world.industry}?period=x").status_code == 400
    assert client.get("/departments/99999").status_code == 404


def test_synthetic_complaints_fill_the_rollup_too(app, world, runner):
    result = runner.invoke(args=["portal", "synth-complaints", "400"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        stored = _stored()
        assert sum(r["received"] for r in stored.values()) > 300
        assert any(r["completion_days"] for r in stored.values())
        assert stored == _recomputed()
