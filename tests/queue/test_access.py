"""Deny by default: every staff endpoint refuses anonymous users and other departments."""

import re

import pytest

from portal.complaints.models import Complaint
from portal.extensions import db

STAFF_BLUEPRINTS = ("queue", "queue_admin", "queue_intake", "agencies", "open311_admin")
PUBLIC_STAFF_ENDPOINTS = {"agencies.login", "agencies.totp", "agencies.totp_setup"}


def _urls(app, *, with_case=None):
    """(endpoint, method, url) for every staff rule, ids filled with 1 or the case id."""
    found = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint not in STAFF_BLUEPRINTS or rule.endpoint in PUBLIC_STAFF_ENDPOINTS:
            continue
        if with_case is not None and "complaint_id" not in rule.arguments:
            continue
        values = {}
        for arg in rule.arguments:
            values[arg] = {
                "complaint_id": with_case or 1,
                "kind": "photo",
                "day": "2026-10-01",
                "year": 2027,
            }.get(arg, 1)
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def test_every_staff_endpoint_sends_anonymous_users_to_the_login(app, client):
    urls = _urls(app)
    assert len(urls) > 15
    for endpoint, method, url in urls:
        response = client.open(url, method=method)
        location = response.headers.get("Location", "")
        assert response.status_code in (302, 303) and "/staff/login" in location, (endpoint, url)


def test_every_case_endpoint_refuses_another_department(app, world, report, sign_in):
    case_id, _, _ = report(outfall=world.outfall_code)
    other = sign_in("hou-staff")
    urls = _urls(app, with_case=case_id)
    assert urls
    for endpoint, method, url in urls:
        response = other.open(url, method=method, data={"action": "accept", "text": "x"})
        assert response.status_code == 404, (endpoint, method, url, response.status_code)
    with app.app_context():
        assert db.session.get(Complaint, case_id).status.value == "submitted"


@pytest.mark.parametrize("username", ["ind-staff", "coord"])
def test_staff_pages_are_never_cached(world, sign_in, username):
    response = sign_in(username).get("/queue/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert re.search(r"<title>", response.get_data(as_text=True))


@pytest.mark.parametrize("username", ["ind-staff", "ind-head"])
def test_every_admin_endpoint_refuses_staff_who_are_not_the_coordinator(
    app, world, sign_in, username
):
    urls = [u for u in _urls(app) if u[0].startswith("queue_admin.")]
    # rules ×4, calendar ×5, templates ×4, categories: a walk that found nothing proves nothing.
    assert len({url[0] for url in urls}) == 14
    client = sign_in(username)
    for endpoint, method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 403, (endpoint, method, url, response.status_code)
