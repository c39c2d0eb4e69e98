"""Staff accounts without HTTP: hashing, validation, lockout, TOTP codes, scoping, demo."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.agencies import models
from portal.agencies import services as s
from portal.agencies.models import TOTP_ROLES, Role, StaffMember
from portal.core.errors import UserError
from portal.extensions import db
from tests import factories as f
from tests.staff import PASSWORD, TOTP_SECRET, staff_member

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_password_is_stored_as_argon2id_and_checked(app_ctx):
    user = staff_member()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)
    assert not user.check_password("wrong-password-1")
    assert not user.check_password("")


def test_outdated_hash_parameters_are_upgraded_on_a_right_password(app_ctx, monkeypatch):
    user = staff_member()
    old_hash = user.password_hash
    monkeypatch.setattr(models, "password_hasher", PasswordHasher(time_cost=2, memory_cost=128))
    assert not user.check_password("wrong-password-1")
    assert user.password_hash == old_hash
    assert user.check_password(PASSWORD)
    assert user.password_hash != old_hash and "t=2" in user.password_hash


def test_garbage_hash_is_a_failed_check_not_a_crash(app_ctx):
    user = staff_member()
    user.password_hash = "not-a-hash"
    assert not user.check_password(PASSWORD)


def test_username_is_stored_lower_case_and_unique(app_ctx):
    user = staff_member(username="Water.Li")
    assert user.username == "water.li"
    with pytest.raises(UserError) as err:
        staff_member(username="WATER.LI")
    assert err.value.field == "username"


@pytest.mark.parametrize("username", ["", "a", "has space", "中文名", "-lead", "x" * 41])
def test_bad_usernames_are_refused(app_ctx, username):
    with pytest.raises(UserError):
        s.create_staff(db.session, username, PASSWORD, Role.admin, None)


def test_short_password_is_refused_with_a_translated_message(app_ctx):
    with pytest.raises(UserError) as err:
        staff_member(password="short-pw")
    assert err.value.field == "password"
    with force_locale("en"):
        assert str(err.value) == "Use at least 10 characters for the password."


def test_department_is_required_except_for_admins(app_ctx):
    with pytest.raises(UserError) as err:
        staff_member(Role.coordinator, department=False)
    assert err.value.field == "department"
    admin = staff_member(Role.admin, department=False)
    assert admin.department_id is None
    with pytest.raises(UserError):
        s.create_staff(db.session, "ghost", PASSWORD, Role.staff, 999_999)


def test_roles_and_what_they_need():
    def member(role, confirmed=False):
        return StaffMember(role=role, totp_confirmed=confirmed)

    # staff, head, coordinator, data officer, admin
    assert [member(r).needs_totp() for r in Role] == [False, False, True, True, True]
    assert member(Role.staff, confirmed=True).needs_totp()
    assert [member(r).is_coordinator for r in Role] == [False, False, True, False, True]
    assert [member(r).can_manage_users for r in Role] == [False, False, False, False, True]


def test_session_id_carries_the_session_version(app_ctx):
    user = staff_member()
    first = user.get_id()
    user.end_sessions()
    assert first == f"{user.id}:1" and user.get_id() == f"{user.id}:2"


def _auth(username, password, now):
    return s.authenticate(db.session, username, password, now)


def test_right_password_authenticates_and_resets_the_failure_count(app_ctx):
    user = staff_member()
    assert _auth(user.username, "wrong-password-1", T0) is None
    assert user.failed_logins == 1
    assert _auth(user.username.upper(), PASSWORD, T0) is user
    assert user.failed_logins == 0


def test_five_failures_lock_the_account_until_the_lockout_ends(app_ctx):
    user = staff_member()
    for _attempt in range(5):
        assert _auth(user.username, "wrong-password-1", T0) is None
    assert user.locked_until == T0 + timedelta(minutes=15)
    # While locked even the right password fails, and is not even checked.
    assert _auth(user.username, PASSWORD, T0 + timedelta(minutes=14)) is None
    assert _auth(user.username, PASSWORD, T0 + timedelta(minutes=16)) is user
    assert user.failed_logins == 0


def test_lockout_limits_are_parameters(app_ctx):
    user = staff_member()
    for _attempt in range(2):
        s.authenticate(
            db.session, user.username, "nope-nope-nope", T0, max_failures=2, lockout=timedelta(1)
        )
    assert user.locked_until == T0 + timedelta(days=1)


def test_unknown_and_inactive_users_do_not_authenticate(app_ctx):
    user = staff_member()
    user.active = False
    assert _auth(user.username, PASSWORD, T0) is None
    assert _auth("nobody", PASSWORD, T0) is None
    assert _auth(user.username, "x" * 1000, T0) is None


def test_totp_code_is_accepted_once_within_one_step_either_side(app_ctx):
    user = staff_member(totp=True)
    totp = pyotp.TOTP(TOTP_SECRET)
    assert s.check_totp(db.session, user, totp.at(T0), T0)
    assert not s.check_totp(db.session, user, totp.at(T0), T0)  # reuse
    assert not s.check_totp(db.session, user, totp.at(T0 - timedelta(seconds=30)), T0)  # older
    assert s.check_totp(db.session, user, totp.at(T0 + timedelta(seconds=30)), T0)  # next step
    later = T0 + timedelta(minutes=5)
    assert not s.check_totp(db.session, user, totp.at(later - timedelta(seconds=90)), later)
    assert not s.check_totp(db.session, user, "12345", later)
    assert not s.check_totp(db.session, user, "abcdef", later)


def test_enrolment_keeps_its_secret_until_confirmed(app_ctx):
    user = staff_member(Role.coordinator)
    secret = s.totp_secret_for_setup(db.session, user)
    assert s.totp_secret_for_setup(db.session, user) == secret and not user.totp_confirmed
    assert "otpauth://totp/" in s.provisioning_uri(user, "Portal")
    assert not s.confirm_totp(db.session, user, "000000", T0)
    assert s.confirm_totp(db.session, user, pyotp.TOTP(secret).at(T0), T0)
    assert user.totp_confirmed
    s.reset_totp(db.session, user)
    assert user.totp_secret is None and not user.totp_confirmed and user.session_version == 2


def test_own_password_change_needs_the_current_one(app_ctx):
    user = staff_member()
    with pytest.raises(UserError) as err:
        s.change_own_password(db.session, user, "wrong-password-1", "new-password-42", T0)
    assert err.value.field == "current_password"
    with pytest.raises(UserError) as err:
        s.change_own_password(db.session, user, PASSWORD, "short", T0)
    assert err.value.field == "new_password"
    s.change_own_password(db.session, user, PASSWORD, "new-password-42", T0)
    assert user.check_password("new-password-42") and user.password_changed_at == T0
    assert user.session_version == 2


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(app_ctx):
    admin = staff_member(Role.admin, department=False)
    dept = f.department()
    edit = dict(department_id=dept.id, display_name="", email="")
    with pytest.raises(UserError):
        s.update_staff(db.session, admin, role=Role.admin, active=False, **edit)
    with pytest.raises(UserError):
        s.update_staff(db.session, admin, role=Role.staff, active=True, **edit)
    staff_member(Role.admin, department=False)
    s.update_staff(db.session, admin, role=Role.staff, active=True, **edit)
    assert admin.role == Role.staff and admin.session_version == 2


def test_department_clause_scopes_staff_but_not_coordinators(app_ctx):
    water = staff_member()
    other = staff_member()
    coordinator = staff_member(Role.coordinator)
    column = StaffMember.department_id

    def visible(viewer):
        stmt = select(StaffMember.username).where(s.department_clause(viewer, column))
        return set(db.session.scalars(stmt))

    assert visible(water) == {water.username}
    assert visible(coordinator) >= {water.username, other.username, coordinator.username}


def test_demo_department_slugs_match_the_demo_data():
    from portal.demo.qinzhou import DEPARTMENTS

    assert list(s.DEMO_DEPARTMENTS) == [row[0] for row in DEPARTMENTS]


def test_demo_accounts_cover_every_department_plus_head_coordinator_and_admin():
    accounts = s.demo_accounts()
    staff = [a for a in accounts if a.role == Role.staff]
    assert [a.department for a in staff] == list(s.DEMO_DEPARTMENTS)
    assert {a.role for a in accounts} == set(Role)
    assert len({a.username for a in accounts}) == len(accounts)
    assert all(len(a.password) >= s.MIN_PASSWORD_LENGTH for a in accounts)


def test_demo_accounts_are_refused_in_production(app_ctx):
    for slug in s.DEMO_DEPARTMENTS:
        f.department(slug=slug)
    with pytest.raises(UserError):
        s.create_demo_accounts(db.session, allow=False)
    assert db.session.scalar(select(func.count()).select_from(StaffMember)) == 0


def test_demo_accounts_need_the_demo_departments(app_ctx):
    with pytest.raises(UserError):
        s.create_demo_accounts(db.session, allow=True)


def test_demo_accounts_are_created_once(app_ctx):
    for slug in s.DEMO_DEPARTMENTS:
        f.department(slug=slug)
    created = s.create_demo_accounts(db.session, allow=True, now=T0)
    assert len(created) == len(s.demo_accounts()) == 12
    assert s.create_demo_accounts(db.session, allow=True, now=T0) == []
    assert db.session.scalar(select(func.count()).select_from(StaffMember)) == 12
    by_name = {u.username: u for u in created}
    for account in s.demo_accounts():
        user = by_name[account.username]
        assert user.role == account.role and user.check_password(account.password)
        assert (user.department.slug if user.department else None) == account.department
        assert user.totp_confirmed == (account.role in TOTP_ROLES)
    assert by_name["coordinator"].totp_secret == s.DEMO_TOTP_SECRET
