"""Staff accounts: creation, authentication, second factor, administration, demo accounts."""

import re
from datetime import datetime, timedelta
from typing import NamedTuple

import pyotp
from flask_babel import lazy_gettext as _l
from pyotp.exceptions import OTPVerificationError
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session, selectinload

from ..core.clock import utcnow
from ..core.errors import UserError
from .models import Department, Role, StaffMember, hash_password

MIN_PASSWORD_LENGTH = 10
# Argon2 hashes whatever it is given; a cap keeps a huge "password" from costing much.
MAX_PASSWORD_LENGTH = 256
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


# --- Creating and changing accounts ---------------------------------------------------


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            _l("Use at least %(n)s characters for the password.", n=MIN_PASSWORD_LENGTH), field
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(
            _l("Use at most %(n)s characters for the password.", n=MAX_PASSWORD_LENGTH), field
        )


def _check_department(session: Session, role: Role, department_id: int | None) -> None:
    if department_id is None:
        if role != Role.admin:
            raise UserError(_l("Choose the department this person works for."), "department")
        return
    if session.get(Department, department_id) is None:
        raise UserError(_l("This department does not exist."), "department")


def create_staff(
    session: Session,
    username: str,
    password: str,
    role: Role,
    department_id: int | None,
    display_name: str = "",
    email: str = "",
    *,
    now: datetime | None = None,
) -> StaffMember:
    """Add a staff account with an argon2 password hash and flush it.

    Raises:
        UserError: bad or taken username, short password, missing or unknown department.
    """
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise UserError(
            _l("Use 2–40 lower-case letters, digits, dots, hyphens or underscores."), "username"
        )
    if session.scalar(select(StaffMember.id).where(StaffMember.username == username)):
        raise UserError(_l("This username is already taken."), "username")
    role = Role(role)
    _check_department(session, role, department_id)
    _check_password(password)
    now = now or utcnow()
    user = StaffMember(
        username=username,
        display_name=display_name.strip() or username,
        email=email.strip(),
        role=role,
        department_id=department_id,
        created_at=now,
    )
    user.set_password(password, now)
    session.add(user)
    session.flush()
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(
        select(func.count())
        .select_from(StaffMember)
        .where(StaffMember.role == Role.admin, StaffMember.active.is_(True))
    )


def update_staff(
    session: Session,
    user: StaffMember,
    *,
    role: Role,
    department_id: int | None,
    active: bool,
    display_name: str,
    email: str,
) -> None:
    """Change an account's role, department, status and details (admins only).

    Raises:
        UserError: missing department, or the last active administrator would be lost.
    """
    role = Role(role)
    _check_department(session, role, department_id)
    losing_admin = user.role == Role.admin and user.active and (role != Role.admin or not active)
    if losing_admin and _active_admins(session) <= 1:
        raise UserError(_l("At least one active administrator must remain."), "role")
    # A role change (e.g. to coordinator, which needs TOTP) or deactivation must not ride on
    # sessions signed in under the old terms.
    if role != user.role or (user.active and not active):
        user.end_sessions()
    if active and not user.active:
        user.failed_logins = 0
        user.locked_until = None
    user.role = role
    user.department_id = department_id
    user.active = active
    user.display_name = display_name.strip() or user.username
    user.email = email.strip()
    session.flush()


def edit_staff(
    session: Session,
    user: StaffMember,
    *,
    role: Role,
    department_id: int | None,
    active: bool,
    display_name: str,
    email: str,
    new_password: str | None,
    clear_totp: bool,
    now: datetime,
) -> None:
    """An administrator's edit: details, then optionally a new password and a TOTP reset.

    Raises:
        UserError: see update_staff and reset_password.
    """
    update_staff(
        session,
        user,
        role=role,
        department_id=department_id,
        active=active,
        display_name=display_name,
        email=email,
    )
    if new_password:
        reset_password(session, user, new_password, now)
    if clear_totp:
        reset_totp(session, user)


def reset_password(
    session: Session, user: StaffMember, password: str, now: datetime, field: str = "password"
) -> None:
    """Set a new password, lift any lockout and end the account's other sessions.

    Raises:
        UserError: the password is too short or too long.
    """
    _check_password(password, field)
    user.set_password(password, now)
    user.failed_logins = 0
    user.locked_until = None
    user.end_sessions()
    session.flush()


def change_own_password(
    session: Session, user: StaffMember, current: str, new: str, now: datetime
) -> None:
    """A user changes their password; the current one must be right.

    Raises:
        UserError: the current password is wrong, or the new one is unacceptable.
    """
    if not user.check_password(current):
        raise UserError(_l("The current password is not correct."), "current_password")
    reset_password(session, user, new, now, field="new_password")


def reset_totp(session: Session, user: StaffMember) -> None:
    """Forget the account's authenticator; it enrols again at the next sign-in if required."""
    user.totp_secret = None
    user.totp_confirmed = False
    user.totp_last_step = None
    user.end_sessions()
    session.flush()


# --- Signing in -----------------------------------------------------------------------


def authenticate(
    session: Session,
    username: str,
    password: str,
    now: datetime,
    *,
    max_failures: int = 5,
    lockout: timedelta = timedelta(minutes=15),
) -> StaffMember | None:
    """The account if the password is right and the account usable, else None."""
    # Failures lock the account for `lockout` after `max_failures` in a row. The caller
    # shows one message for every None, so nobody learns which usernames exist.
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    user = session.scalar(
        select(StaffMember).where(StaffMember.username == username.strip().lower())
    )
    if user is None:
        # Spend the same time as a real check so response times do not reveal usernames.
        hash_password(password)
        return None
    if not user.active or user.is_locked(now):
        # A locked account is not checked at all: guessing goes on without learning anything.
        hash_password(password)
        return None
    if not user.check_password(password):
        register_failure(session, user, now, max_failures=max_failures, lockout=lockout)
        return None
    if not user.needs_totp():
        user.failed_logins = 0
    # Otherwise the count goes on until the code is right too (complete_login): a known
    # password must not reset the lockout between guesses at the code.
    session.flush()
    return user


def register_failure(
    session: Session,
    user: StaffMember,
    now: datetime,
    *,
    max_failures: int = 5,
    lockout: timedelta = timedelta(minutes=15),
) -> None:
    """Count one failed attempt (password or code); lock the account at the limit."""
    # Incremented in SQL so parallel attempts cannot overwrite each other's count.
    user.failed_logins = StaffMember.failed_logins + 1
    session.flush()
    if user.failed_logins >= max_failures:
        user.locked_until = now + lockout
        user.failed_logins = 0
        session.flush()


def complete_login(session: Session, user: StaffMember, now: datetime) -> None:
    """Record a finished sign-in (after the second factor, where one is needed)."""
    user.failed_logins = 0
    user.last_login_at = now
    session.flush()


# --- Second factor (TOTP) -------------------------------------------------------------


def totp_secret_for_setup(session: Session, user: StaffMember) -> str:
    """The secret to enrol: the pending one, or a new random one stored unconfirmed."""
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        user.totp_confirmed = False
        user.totp_last_step = None
        session.flush()
    return user.totp_secret


def provisioning_uri(user: StaffMember, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=issuer)


def check_totp(session: Session, user: StaffMember, code: str, now: datetime) -> bool:
    """Whether `code` is valid now (±1 step) and newer than the last accepted one; records it."""
    if not user.totp_secret:
        return False
    code = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", code):
        return False
    try:
        # verify(code, valid_window=1) that also tells which time step matched.
        step = pyotp.TOTP(user.totp_secret).verify_and_get_timecode(
            code, for_time=now, valid_window=1
        )
    except OTPVerificationError:
        return False
    # A code is good only once: nothing at or before the last accepted step.
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return False
    user.totp_last_step = step
    session.flush()
    return True


def confirm_totp(session: Session, user: StaffMember, code: str, now: datetime) -> bool:
    """Finish enrolment with a first valid code from the authenticator app."""
    if user.totp_confirmed or not check_totp(session, user, code, now):
        return False
    user.totp_confirmed = True
    session.flush()
    return True


# --- Scoping --------------------------------------------------------------------------


def department_clause(user: StaffMember, column):
    """SQL condition limiting `column` (a department id) to what `user` may see."""
    if user.is_coordinator:
        return true()
    return column == user.department_id


def list_staff(session: Session) -> list[StaffMember]:
    """Every account, for the administrators' list."""
    return list(
        session.scalars(
            select(StaffMember)
            .options(selectinload(StaffMember.department))
            .order_by(StaffMember.username)
        )
    )


def departments(session: Session) -> list[Department]:
    """Departments to choose from, coordinating department first."""
    return list(
        session.scalars(
            select(Department).order_by(Department.is_coordinator.desc(), Department.slug)
        )
    )


# --- Demo accounts --------------------------------------------------------------------

# The slugs of portal.demo.qinzhou.DEPARTMENTS (a test keeps them in step; agencies must not
# import the demo package, which sits above it).
DEMO_DEPARTMENTS = {
    "eco-env": "eco",
    "housing": "housing",
    "water": "water",
    "agriculture": "agri",
    "industry": "industry",
    "transport": "transport",
    "urban-mgmt": "urban",
    "ocean": "ocean",
}
# Published on purpose: demo coordinator and admin need TOTP like real ones, with this key.
DEMO_TOTP_SECRET = "QINZHOUDEMOSTAFFTOTPKEY234567ABC"


class DemoAccount(NamedTuple):
    role: Role
    department: str | None  # department slug
    username: str
    password: str


def demo_accounts() -> list[DemoAccount]:
    """The demo's staff accounts and their (public) passwords."""
    accounts = [
        DemoAccount(Role.staff, slug, f"{short}-staff", f"demo-{short}-2026")
        for slug, short in DEMO_DEPARTMENTS.items()
    ]
    accounts += [
        DemoAccount(Role.head, "eco-env", "eco-head", "demo-head-2026"),
        DemoAccount(Role.coordinator, "eco-env", "coordinator", "demo-coord-2026"),
        DemoAccount(Role.data_officer, "eco-env", "data-officer", "demo-data-2026"),
        DemoAccount(Role.admin, None, "admin", "demo-admin-2026"),
    ]
    return accounts


def create_demo_accounts(
    session: Session, *, allow: bool, now: datetime | None = None
) -> list[StaffMember]:
    """Add the demo accounts that are missing (idempotent) and return the new ones.

    Raises:
        UserError: `allow` is False (a production configuration), or the demo
            departments are not loaded.
    """
    if not allow:
        raise UserError(_l("Demo accounts are refused: DEMO_MODE is off (production)."))
    accounts = demo_accounts()
    slugs = {a.department for a in accounts if a.department}
    depts = {
        d.slug: d.id for d in session.scalars(select(Department).where(Department.slug.in_(slugs)))
    }
    if len(depts) < len(slugs):
        raise UserError(_l("Load the demo data first: its departments are missing."))
    existing = set(
        session.scalars(
            select(StaffMember.username).where(
                StaffMember.username.in_([a.username for a in accounts])
            )
        )
    )
    created = []
    for account in accounts:
        if account.username in existing:
            continue
        user = create_staff(
            session,
            account.username,
            account.password,
            account.role,
            depts.get(account.department),
            display_name=account.username,
            email=f"{account.username}@qinzhou.demo.invalid",
            now=now,
        )
        if user.needs_totp():
            user.totp_secret = DEMO_TOTP_SECRET
            user.totp_confirmed = True
        created.append(user)
    session.flush()
    return created
