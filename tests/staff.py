"""Staff accounts for tests: a factory and sign-in helpers (plain functions, no fixtures)."""

import itertools
import time

import pyotp

from portal.agencies import services as staff_services
from portal.agencies.models import Role, StaffMember
from portal.extensions import db
from tests import factories as f

PASSWORD = "correct-horse-battery"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_serial = itertools.count(1)


def staff_member(
    role: Role = Role.staff,
    *,
    username: str | None = None,
    password: str = PASSWORD,
    department: bool = True,
    totp: bool = False,
    **kw,
) -> StaffMember:
    """An account (with its own department unless admin or department=False)."""
    dept_id = f.department().id if department else None
    user = staff_services.create_staff(
        db.session,
        username or f"{role.value}-{next(_serial)}",
        password,
        role,
        dept_id,
        **kw,
    )
    if totp:
        user.totp_secret = TOTP_SECRET
        user.totp_confirmed = True
    db.session.flush()
    return user


def totp_code(offset_steps: int = 0) -> str:
    """The test authenticator's code for now (plus `offset_steps` of 30 seconds)."""
    totp = pyotp.TOTP(TOTP_SECRET)
    return totp.at(time.time() + 30 * offset_steps)


def login(client, username: str, password: str = PASSWORD, code: str | None = None, **query):
    """Sign in through the forms; returns the last response (not followed)."""
    response = client.post(
        "/staff/login", data={"username": username, "password": password}, query_string=query
    )
    if code is not None and response.headers.get("Location", "").startswith("/staff/totp"):
        response = client.post(response.headers["Location"], data={"code": code})
    return response


def signed_in_user_id(client) -> str | None:
    with client.session_transaction() as sess:
        return sess.get("_user_id")
