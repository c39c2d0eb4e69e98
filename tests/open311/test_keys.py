"""API keys: issued by an admin (page or CLI), shown once, stored as SHA-256, revocable;
the page is the admins' alone."""

import hashlib
import re

import pytest
from sqlalchemy import select

from portal.agencies.models import Role
from portal.extensions import db
from portal.open311.models import ApiKey
from tests.staff import login, staff_member, totp_code


def _post(client, key):
    return client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "other",
            "description": "测试",
            "lat": "21.95",
            "long": "108.62",
        },
    )


@pytest.fixture
def admin(app, seed):
    username = seed(lambda: staff_member(Role.admin, totp=True).username)
    client = app.test_client()
    response = login(client, username, code=totp_code())
    assert response.status_code in (302, 303)
    return client


def test_an_admin_issues_a_key_shown_once_and_revokes_it(app, admin):
    page = admin.get("/staff/api-keys/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    made = admin.post("/staff/api-keys/", data={"name": "钦州12345热线平台"})
    assert made.status_code == 200
    html = made.get_data(as_text=True)
    [key] = re.findall(r"o311_[A-Za-z0-9_-]{40,}", html)
    with app.app_context():
        row = db.session.scalars(select(ApiKey)).one()
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in (row.key_prefix, row.name)
        assert row.key_prefix == key[:12]
        key_id = row.id
    # Never shown again: the list has its first characters only.
    again = admin.get("/staff/api-keys/").get_data(as_text=True)
    assert key not in again and key[:12] in again and "钦州12345热线平台" in again
    assert _post(app.test_client(), key).status_code == 200
    revoked = admin.post(f"/staff/api-keys/{key_id}/revoke")
    assert revoked.status_code == 303
    assert _post(app.test_client(), key).status_code == 403
    with app.app_context():
        assert db.session.get(ApiKey, key_id).revoked_at is not None


def test_a_key_needs_a_name(app, admin):
    response = admin.post("/staff/api-keys/", data={"name": "  "})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(ApiKey)).all() == []


def test_an_unknown_key_id_is_404(admin):
    assert admin.post("/staff/api-keys/999/revoke").status_code == 404


@pytest.mark.parametrize("role", [Role.staff, Role.head, Role.coordinator, Role.data_officer])
def test_other_roles_are_refused(app, seed, role):
    username = seed(lambda: staff_member(role, totp=True).username)
    client = app.test_client()
    login(client, username, code=totp_code())
    assert client.get("/queue/").status_code == 200  # signed in indeed
    for method, url in (
        ("GET", "/staff/api-keys/"),
        ("POST", "/staff/api-keys/"),
        ("POST", "/staff/api-keys/1/revoke"),
    ):
        assert client.open(url, method=method, data={"name": "x"}).status_code == 403, url


def test_the_cli_creates_lists_and_revokes(app, runner):
    made = runner.invoke(args=["portal", "api-key", "create", "海洋局监测系统"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("o311_")
    listed = runner.invoke(args=["portal", "api-key", "list"])
    assert "海洋局监测系统" in listed.output and key not in listed.output
    assert _post(app.test_client(), key).status_code == 200
    with app.app_context():
        key_id = db.session.scalars(select(ApiKey.id)).one()
    assert runner.invoke(args=["portal", "api-key", "revoke", str(key_id)]).exit_code == 0
    assert _post(app.test_client(), key).status_code == 403
    twice = runner.invoke(args=["portal", "api-key", "revoke", str(key_id)])
    assert twice.exit_code != 0 and "already" in twice.output
    assert runner.invoke(args=["portal", "api-key", "create", ""]).exit_code != 0
