"""Account administration: admins only, create and edit accounts, the create-admin command."""

import pytest
from sqlalchemy import select

from portal.agencies import services
from portal.agencies.auth import create_admin_command, demo_accounts_command
from portal.agencies.models import Role, StaffMember
from portal.extensions import db
from tests import factories as f
from tests.staff import PASSWORD, login, signed_in_user_id, totp_code


def _user(app, username) -> StaffMember | None:
    with app.app_context():
        user = db.session.scalar(select(StaffMember).where(StaffMember.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


@pytest.fixture
def admin(client, make_staff):
    """The test client, signed in as an administrator (with TOTP)."""
    login(
        client,
        make_staff(Role.admin, username="root", department=False, totp=True),
        code=totp_code(),
    )
    return client


@pytest.mark.parametrize("role", [Role.staff, Role.head, Role.coordinator])
def test_account_pages_are_for_admins_only(client, make_staff, role):
    login(client, make_staff(role, totp=role == Role.coordinator), code=totp_code())
    assert signed_in_user_id(client) is not None
    for url in ("/staff/users", "/staff/users/new", "/staff/users/1/edit"):
        assert client.get(url).status_code == 403
    assert client.post("/staff/users/new", data={"username": "x"}).status_code == 403
    assert client.get("/staff/", headers={"Accept-Language": "en"}).status_code == 200


def test_admin_sees_every_account(admin, make_staff):
    others = [make_staff(), make_staff(Role.head)]
    page = admin.get("/staff/users", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and all(name in html for name in [*others, "root"])
    assert "Department head" in html


def test_admin_creates_an_account(app, admin, seed):
    dept_id = seed(lambda: f.department().id)
    assert admin.get("/staff/users/new").status_code == 200
    data = {
        "username": "Water-Wang",
        "display_name": "王工",
        "email": "wang@example.com",
        "role": "head",
        "department": dept_id,
        "password": "first-password-1",
        "confirm": "first-password-1",
    }
    response = admin.post("/staff/users/new", data=data)
    assert response.headers["Location"] == "/staff/users"
    user = _user(app, "water-wang")
    assert user.role == Role.head and user.department_id == dept_id and user.display_name == "王工"
    again = admin.post("/staff/users/new", data=data, headers={"Accept-Language": "en"})
    assert again.status_code == 200 and "already taken" in again.get_data(as_text=True)


def test_creating_staff_without_department_is_refused(app, admin):
    data = {"username": "nodept", "role": "staff", "department": 0}
    data |= {"password": "first-password-1", "confirm": "first-password-1"}
    page = admin.post("/staff/users/new", data=data, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Choose the department" in page.get_data(as_text=True)
    assert _user(app, "nodept") is None


def test_admin_resets_password_and_totp_which_ends_sessions(app, admin, make_staff):
    username = make_staff(Role.coordinator, totp=True)
    victim = app.test_client()
    login(victim, username, code=totp_code())
    assert victim.get("/staff/").status_code == 200
    user = _user(app, username)
    form = {"role": "coordinator", "department": user.department_id, "active": "y"}
    form |= {"password": "reset-password-1", "confirm": "reset-password-1", "reset_totp": "y"}
    response = admin.post(f"/staff/users/{user.id}/edit", data=form)
    assert response.headers["Location"] == "/staff/users"
    changed = _user(app, username)
    assert changed.totp_secret is None and not changed.totp_confirmed
    assert changed.session_version > user.session_version
    assert victim.get("/staff/").headers["Location"].startswith("/staff/login")
    assert login(victim, username, PASSWORD).status_code == 200  # old password gone
    assert login(victim, username, "reset-password-1").headers["Location"] == "/staff/totp/setup"


def test_edit_page_shows_the_current_values(app, admin, make_staff):
    user = _user(app, make_staff(Role.head, display_name="李科长"))
    html = admin.get(f"/staff/users/{user.id}/edit").get_data(as_text=True)
    assert "李科长" in html and 'selected value="head"' in html
    assert admin.get("/staff/users/999999/edit").status_code == 404


def test_the_last_admin_cannot_lock_themselves_out(app, admin):
    root = _user(app, "root")
    page = admin.post(
        f"/staff/users/{root.id}/edit",
        data={"role": "staff", "department": 0, "active": "y"},
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 200
    assert _user(app, "root").role == Role.admin


def test_admin_editing_themselves_stays_signed_in(app, admin):
    root = _user(app, "root")
    form = {"role": "admin", "department": 0, "active": "y", "display_name": "Root"}
    form |= {"password": "brand-new-pass-1", "confirm": "brand-new-pass-1"}
    assert admin.post(f"/staff/users/{root.id}/edit", data=form).status_code == 302
    assert admin.get("/staff/users").status_code == 200


def test_create_admin_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(
        create_admin_command, ["--username", "Chief", "--password-stdin"], input="long-secret-1\n"
    )
    assert result.exit_code == 0, result.output
    user = _user(app, "chief")
    assert user.role == Role.admin and user.department_id is None and user.active
    with app.app_context():
        assert db.session.get(StaffMember, user.id).check_password("long-secret-1")


def test_create_admin_prompts_with_confirmation(app, runner):
    result = runner.invoke(create_admin_command, input="chief\nlong-secret-1\nlong-secret-1\n")
    assert result.exit_code == 0, result.output
    assert "long-secret-1" not in result.output  # hidden input
    assert _user(app, "chief").role == Role.admin


def test_create_admin_refuses_duplicates_and_short_passwords(app, runner):
    args = ["--username", "chief", "--password-stdin"]
    assert runner.invoke(create_admin_command, args, input="long-secret-1\n").exit_code == 0
    duplicate = runner.invoke(create_admin_command, args, input="long-secret-2\n")
    assert duplicate.exit_code == 1 and "already taken" in duplicate.output
    short = runner.invoke(
        create_admin_command, ["--username", "bob", "--password-stdin"], input="x\n"
    )
    assert short.exit_code == 1
    with app.app_context():
        assert db.session.query(StaffMember).count() == 1


def test_demo_accounts_command_refuses_without_demo_mode(app, runner):
    result = runner.invoke(demo_accounts_command)
    assert result.exit_code == 1 and "DEMO_MODE" in result.output


def test_demo_accounts_command_creates_and_prints_them(app, runner, seed):
    for slug in services.DEMO_DEPARTMENTS:
        seed(f.department, slug=slug)
    app.config["DEMO_MODE"] = True
    first = runner.invoke(demo_accounts_command)
    assert first.exit_code == 0, first.output
    assert "water-staff" in first.output and "demo-water-2026" in first.output
    assert services.DEMO_TOTP_SECRET in first.output
    assert runner.invoke(demo_accounts_command).exit_code == 0
    with app.app_context():
        assert db.session.query(StaffMember).count() == 12


def test_demo_coordinator_signs_in_with_the_published_key(app, client, runner, seed):
    import pyotp

    for slug in services.DEMO_DEPARTMENTS:
        seed(f.department, slug=slug)
    app.config["DEMO_MODE"] = True
    runner.invoke(demo_accounts_command)
    code = pyotp.TOTP(services.DEMO_TOTP_SECRET).now()
    assert login(client, "coordinator", "demo-coord-2026", code=code).headers["Location"] == (
        "/staff/"
    )
