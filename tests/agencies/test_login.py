"""Signing in and out through the pages: password, lockout, TOTP, idle timeout, redirects."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from portal.agencies.models import Role, StaffMember
from portal.core.clock import utcnow
from portal.extensions import db
from tests.staff import PASSWORD, login, signed_in_user_id, totp_code

FAILED = "Sign-in failed"


def _user(app, username) -> StaffMember:
    with app.app_context():
        user = db.session.scalar(select(StaffMember).where(StaffMember.username == username))
        db.session.expunge(user)
        return user


def _update(app, username, **values):
    with app.app_context():
        user = db.session.scalar(select(StaffMember).where(StaffMember.username == username))
        for key, value in values.items():
            setattr(user, key, value)
        db.session.commit()


def _failure_page(client, username, password="wrong-password-1") -> str:
    response = client.post(
        "/staff/login",
        data={"username": username, "password": password},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_login_page_renders_in_both_languages(client):
    zh = client.get("/staff/login", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    en = client.get("/staff/login", headers={"Accept-Language": "en"})
    assert en.status_code == 200 and "Staff sign-in" in en.get_data(as_text=True)
    assert 'autocomplete="current-password"' in zh
    assert en.headers["Cache-Control"] == "no-store"


def test_right_password_signs_in_and_lands_on_the_staff_home(app, client, make_staff):
    username = make_staff()
    response = login(client, username)
    assert response.headers["Location"] == "/staff/"
    user = _user(app, username)
    assert signed_in_user_id(client) == f"{user.id}:1"
    assert user.last_login_at is not None
    home = client.get("/staff/", headers={"Accept-Language": "en"})
    assert home.status_code == 200 and "Sign out" in home.get_data(as_text=True)


def test_wrong_password_does_not_sign_in(app, client, make_staff):
    username = make_staff()
    assert FAILED in _failure_page(client, username)
    assert signed_in_user_id(client) is None
    assert _user(app, username).failed_logins == 1


def test_five_failures_lock_the_account_with_the_same_message_as_unknown_users(
    app, client, make_staff
):
    username = make_staff()
    pages = [_failure_page(client, username) for _attempt in range(5)]
    locked = _failure_page(client, username, PASSWORD)  # right password, but locked now
    unknown = _failure_page(client, "no-such-user")
    assert all(FAILED in page for page in [*pages, locked, unknown])
    # Nothing on the page tells a locked or unknown account from a wrong password.
    strip = [page.replace(username, "").replace("no-such-user", "") for page in (pages[0], locked)]
    assert strip[0] == strip[1] == unknown.replace("no-such-user", "")
    assert signed_in_user_id(client) is None
    assert _user(app, username).locked_until is not None


def test_lockout_expires(app, client, make_staff):
    username = make_staff()
    for _attempt in range(5):
        _failure_page(client, username)
    user = _user(app, username)
    _update(app, username, locked_until=user.locked_until - timedelta(minutes=16))
    assert login(client, username).headers["Location"] == "/staff/"


def test_lockout_settings_come_from_the_config(app, client, make_staff):
    app.config.update(STAFF_MAX_FAILED_LOGINS=2, STAFF_LOCKOUT_MINUTES=60)
    username = make_staff()
    for _attempt in range(2):
        _failure_page(client, username)
    assert _user(app, username).locked_until - utcnow() > timedelta(minutes=59)


@pytest.mark.parametrize("role", [Role.coordinator, Role.admin])
def test_password_alone_does_not_sign_in_coordinators_and_admins(client, make_staff, role):
    username = make_staff(role, department=role != Role.admin)
    response = login(client, username)
    assert response.headers["Location"] == "/staff/totp/setup"
    assert signed_in_user_id(client) is None
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")
    assert client.get("/staff/account").headers["Location"].startswith("/staff/login")


def test_totp_enrolment_shows_a_qr_code_and_signs_in_with_a_first_code(app, client, make_staff):
    username = make_staff(Role.coordinator)
    login(client, username)
    page = client.get("/staff/totp/setup", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'src="data:image/svg+xml' in html
    assert "<script" not in html
    secret = _user(app, username).totp_secret
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    assert page.headers["Cache-Control"] == "no-store"
    refused = client.post("/staff/totp/setup", data={"code": "000000"})
    assert refused.status_code == 200 and signed_in_user_id(client) is None
    response = client.post("/staff/totp/setup", data={"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/staff/"
    assert signed_in_user_id(client) is not None
    assert _user(app, username).totp_confirmed


def test_enrolled_account_signs_in_with_a_code_which_cannot_be_reused(app, client, make_staff):
    username = make_staff(Role.admin, department=False, totp=True)
    response = login(client, username)
    assert response.headers["Location"] == "/staff/totp"
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")
    code = totp_code()
    assert login(client, username, code=code).headers["Location"] == "/staff/"
    client.post("/staff/logout")
    reused = login(client, username, code=code)
    assert reused.status_code == 200 and signed_in_user_id(client) is None
    assert login(client, username, code=totp_code(1)).headers["Location"] == "/staff/"


def test_wrong_codes_count_towards_the_lockout(app, client, make_staff):
    username = make_staff(Role.coordinator, totp=True)
    login(client, username)
    for _attempt in range(5):
        client.post("/staff/totp", data={"code": "000000"})
    assert _user(app, username).locked_until is not None
    assert client.post("/staff/totp", data={"code": totp_code()}).headers["Location"] == (
        "/staff/login"
    )
    assert signed_in_user_id(client) is None


def test_a_known_password_does_not_reset_the_count_of_wrong_codes(app, client, make_staff):
    username = make_staff(Role.coordinator, totp=True)
    for _attempt in range(5):
        assert login(client, username).headers["Location"] == "/staff/totp"
        client.post("/staff/totp", data={"code": "000000"})
    assert _user(app, username).locked_until is not None
    assert login(client, username).status_code == 200  # locked: the password step fails too


def test_second_step_pages_need_a_right_password_first(client):
    for url in ("/staff/totp", "/staff/totp/setup"):
        assert client.get(url).headers["Location"] == "/staff/login"
        assert client.post(url, data={"code": "123456"}).headers["Location"] == "/staff/login"


def test_pending_second_step_expires(app, client, make_staff):
    username = make_staff(Role.coordinator, totp=True)
    login(client, username)
    with client.session_transaction() as sess:
        sess["staff_pending"] = dict(sess["staff_pending"], at=sess["staff_pending"]["at"] - 301)
    response = client.post("/staff/totp", data={"code": totp_code()})
    assert response.headers["Location"] == "/staff/login"


def test_staff_may_turn_on_totp_and_then_need_it(app, client, make_staff):
    username = make_staff()
    login(client, username)
    page = client.get("/staff/account/totp")
    assert page.status_code == 200 and "data:image/svg+xml" in page.get_data(as_text=True)
    secret = _user(app, username).totp_secret
    done = client.post("/staff/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert done.headers["Location"] == "/staff/account"
    client.post("/staff/logout")
    assert login(client, username).headers["Location"] == "/staff/totp"


def test_idle_session_is_signed_out(client, make_staff):
    username = make_staff()
    login(client, username)
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as sess:
        sess["staff_seen"] -= 31 * 60
    response = client.get("/staff/account", headers={"Accept-Language": "en"})
    assert response.headers["Location"] == "/staff/login?next=/staff/account"
    assert signed_in_user_id(client) is None
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert "without activity" in page.get_data(as_text=True)


def test_activity_keeps_the_session_alive(client, make_staff):
    login(client, make_staff())
    with client.session_transaction() as sess:
        sess["staff_seen"] -= 29 * 60
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as sess:
        sess["staff_seen"] -= 29 * 60
    assert client.get("/staff/").status_code == 200


def test_session_without_activity_stamp_is_not_trusted(client, make_staff):
    login(client, make_staff())
    with client.session_transaction() as sess:
        del sess["staff_seen"]
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")


def test_deactivating_a_user_ends_their_open_session(app, client, make_staff):
    username = make_staff()
    login(client, username)
    assert client.get("/staff/").status_code == 200
    admin = app.test_client()
    admin_name = make_staff(Role.admin, department=False, totp=True)
    login(admin, admin_name, code=totp_code())
    user = _user(app, username)
    response = admin.post(
        f"/staff/users/{user.id}/edit",
        data={"role": "staff", "department": user.department_id, "display_name": "x"},
    )
    assert response.headers["Location"] == "/staff/users"
    assert not _user(app, username).active
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")


def test_bumped_session_version_ends_sessions_but_not_new_ones(app, client, make_staff):
    username = make_staff()
    login(client, username)
    _update(app, username, session_version=2)
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")
    login(client, username)
    assert client.get("/staff/").status_code == 200


def test_login_clears_the_previous_session(client, make_staff):
    username = make_staff()
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
    login(client, username)
    with client.session_transaction() as sess:
        assert "planted" not in sess


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "staff/account",
    ],
)
def test_next_never_leaves_the_site(client, make_staff, target):
    response = login(client, make_staff(), next=target)
    assert response.headers["Location"] == "/staff/"


def test_next_to_a_local_page_is_honoured_also_after_totp(client, make_staff):
    assert login(client, make_staff(), next="/staff/account").headers["Location"] == (
        "/staff/account"
    )
    client.post("/staff/logout")
    username = make_staff(Role.coordinator, totp=True)
    response = login(client, username, code=totp_code(), next="/staff/users?page=2")
    assert response.headers["Location"] == "/staff/users?page=2"


def test_anonymous_visit_redirects_to_login_and_back(client, make_staff):
    location = urlsplit(client.get("/staff/account?tab=1").headers["Location"])
    assert location.path == "/staff/login"
    target = parse_qs(location.query)["next"][0]
    assert target == "/staff/account?tab=1"
    assert login(client, make_staff(), next=target).headers["Location"] == target


def test_logout_needs_post(client, make_staff):
    login(client, make_staff())
    assert client.get("/staff/logout").status_code == 405
    assert signed_in_user_id(client) is not None
    assert client.post("/staff/logout").headers["Location"] == "/staff/login"
    assert signed_in_user_id(client) is None
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")


def test_logout_is_csrf_protected(app, tmp_path, make_staff):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    username = make_staff()
    page = client.get("/staff/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    token = token.split('"')[0]
    client.post(
        "/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in_user_id(client) is not None
    assert client.post("/staff/logout").status_code == 400
    assert signed_in_user_id(client) is not None


def test_signed_in_user_visiting_login_goes_home(client, make_staff):
    login(client, make_staff())
    assert client.get("/staff/login").headers["Location"] == "/staff/"


def test_changing_ones_password_keeps_this_session_and_ends_others(app, client, make_staff):
    username = make_staff()
    other = app.test_client()
    login(client, username)
    login(other, username)
    bad = client.post(
        "/staff/account",
        data={"current_password": "nope-nope-nope", "new_password": "x" * 12, "confirm": "x" * 12},
    )
    assert bad.status_code == 200 and _user(app, username).session_version == 1
    response = client.post(
        "/staff/account",
        data={"current_password": PASSWORD, "new_password": "n" * 12, "confirm": "n" * 12},
    )
    assert response.headers["Location"] == "/staff/account"
    assert client.get("/staff/account").status_code == 200
    assert other.get("/staff/").headers["Location"].startswith("/staff/login")
    assert login(other, username, "n" * 12).headers["Location"] == "/staff/"


def test_login_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    data = {"username": "nobody", "password": "wrong-password-1"}
    codes = [client.post("/staff/login", data=data).status_code for _attempt in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/staff/login").status_code == 200  # only POSTs are limited


def test_a_session_cookie_copied_before_logout_no_longer_opens_the_queue(app, make_staff):
    username = make_staff()
    client = app.test_client()
    login(client, username)
    stolen = client.get_cookie("session").value
    assert client.post("/staff/logout").status_code in (302, 303)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/staff/").headers["Location"].startswith("/staff/login")
    assert thief.get("/queue/").headers["Location"].startswith("/staff/login")
