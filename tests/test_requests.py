"""Hostile addresses and form values: never a 5xx, always a translated refusal."""

import pytest
from sqlalchemy import func, select

from portal.agencies.models import Role
from portal.complaints.models import Complaint
from portal.extensions import db
from tests import factories as f
from tests.staff import login


def _complaints(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Complaint))


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f"])
def test_control_characters_in_a_report_are_refused_next_to_the_field(app, client, control):
    data = {
        "category": "abnormal_water",
        "description": f"河水发黑{control}发臭",
        "name": f"张{control}三",
        "identity": "named",
        "lat": "21.9",
        "lon": "108.6",
    }
    r = client.post("/complaints/new", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    # Next to the description and the name, and linked from the summary at the top.
    assert page.count("<li>请删除此栏中的控制字符") == 2
    assert page.count('<a href="#description">') == page.count('<a href="#name">') == 1
    assert "河水发黑" in page  # the rest of what was typed is kept
    assert _complaints(app) == 0


def test_newlines_and_tabs_are_fine_in_a_description(app, client):
    data = {
        "category": "other",
        "description": "第一行\r\n第二行\t完",
        "lat": "21.9",
        "lon": "108.6",
    }
    assert client.post("/complaints/new", data=data).status_code == 303
    assert _complaints(app) == 1


def test_nul_in_lookup_and_login_is_a_message_not_a_500(client, make_staff):
    r = client.post("/complaints/lookup", data={"tracking_no": "TS\x00", "contact": "1\x00"})
    assert r.status_code == 400 and "控制字符" in r.get_data(as_text=True)
    r = client.post("/staff/login", data={"username": "a\x00", "password": "b\x00"})
    assert r.status_code in (200, 400) and "控制字符" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/complaints/TS-2026-000001%00",
        "/outfalls/%00",
        "/o/45%00GY",
        "/waters/1%07",
    ],
)
def test_control_characters_in_a_path_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    ["/search?q=%00", "/outfalls/?region=%00", "/complaints/new?outfall=%00", "/map?type=%1b"],
)
def test_control_characters_in_a_query_are_a_bad_request(client, query):
    r = client.get(query)
    assert r.status_code == 400 and "请求" in r.get_data(as_text=True)


BIG = [str(2**31), str(2**63), "9" * 40]


@pytest.mark.parametrize("n", BIG)
def test_ids_beyond_the_databases_range_are_not_found(client, n):
    for path in (f"/waters/{n}", f"/departments/{n}", f"/documents/{n}/x.pdf"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("n", BIG)
def test_numbers_beyond_the_databases_range_in_filters_are_refused(client, n):
    r = client.get(f"/outfalls/?water={n}")
    assert r.status_code == 400 and "这个数字太大了" in r.get_data(as_text=True)


def test_staff_ids_beyond_range_are_404_and_the_transfer_refuses_them(app, seed):
    def world():
        from tests.staff import staff_member

        user = staff_member(Role.staff, username="s1")
        receipt = f.complaint(lat=21.9, lon=108.6)
        receipt.complaint.department_id = user.department_id
        return receipt.complaint.id

    case_id = seed(world)
    client = app.test_client()
    login(client, "s1")
    assert client.get(f"/queue/cases/{2**31}").status_code == 404
    assert client.get(f"/queue/?department={2**63}").status_code == 400
    r = client.post(
        f"/queue/cases/{case_id}/act",
        data={"action": "transfer", "message": "x", "department_id": str(2**63)},
    )
    assert r.status_code == 400


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e309", "NaN"])
def test_non_finite_coordinates_are_refused(app, client, value):
    assert client.get(f"/complaints/nearby.json?lat={value}&lon=108.6").status_code == 400
    assert client.get(f"/api/v1/outfalls/map?bbox={value},21,109,22&zoom=9").status_code == 400
    data = {"category": "other", "description": "x", "lat": value, "lon": "108.6"}
    assert client.post("/complaints/new", data=data).status_code == 400
    assert _complaints(app) == 0


@pytest.mark.parametrize("target", ["/outfalls/\r\nX-Evil: 1", "/\nLocation: //evil", "/a\x00b"])
def test_language_switch_with_a_broken_next_falls_back_home(client, target):
    r = client.get("/lang/en", query_string={"next": target})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert "lang=en" in r.headers["Set-Cookie"]
