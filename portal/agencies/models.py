"""Government departments that supervise outfalls and handle complaints, and their staff."""

import enum
from datetime import datetime
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..core.clock import utcnow
from ..dbtypes import UTCDateTime, str_enum
from ..extensions import db
from ..geo.models import Region


class Department(db.Model):
    """A department (生态环境局, 住建局, 水利局 …) of a local government."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    region_id: Mapped[Optional[int]] = mapped_column(ForeignKey("regions.id"), index=True)
    # The ecology and environment bureau coordinates and supervises all the others.
    is_coordinator: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")

    region: Mapped[Optional[Region]] = relationship()

    def __repr__(self) -> str:
        return f"<Department {self.slug}>"


class Role(enum.StrEnum):
    """What a staff account may do; the value is stored."""

    staff = "staff"  # department staff: their department's cases
    head = "head"  # department head: their department's cases, as its responsible person
    coordinator = "coordinator"  # 生态环境局 coordinator: every department's cases
    data_officer = "data_officer"  # 数据管理员: keeps the whole registry (ledger) of the deployment
    admin = "admin"  # manages accounts; sees everything


# Roles whose accounts always need a second factor (TOTP).
TOTP_ROLES = frozenset({Role.coordinator, Role.data_officer, Role.admin})

# Argon2id with the library's recommended parameters (RFC 9106 low-memory profile).
# Module level so tests can swap in cheaper parameters.
password_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (also spent on unknown users to equalise timing)."""
    return password_hasher.hash(password)


class StaffMember(UserMixin, db.Model):
    """A department employee who signs in to the staff side."""

    __tablename__ = "staff_members"
    __table_args__ = (
        # Everyone but an administrator works for a department; scoping depends on it.
        CheckConstraint(
            "department_id IS NOT NULL OR role = 'admin'", name="department_unless_admin"
        ),
        CheckConstraint("username = lower(username)", name="username_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, 16))
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    totp_secret: Mapped[Optional[str]] = mapped_column(String(64))
    totp_confirmed: Mapped[bool] = mapped_column(default=False)
    # The TOTP time step of the last accepted code: a code is never accepted twice.
    totp_last_step: Mapped[Optional[int]] = mapped_column(BigInteger)
    # Part of the session's user id: bumping it ends every existing session of this account.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Optional[Department]] = relationship()

    def __repr__(self) -> str:
        return f"<StaffMember {self.username} {self.role}>"

    @validates("username")
    def _lower_username(self, _key: str, value: str) -> str:
        return value.strip().lower()

    # --- Flask-Login -------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The session's user id: the row id and the session version."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Invalidate every session signed in as this account (checked by the user loader)."""
        self.session_version = (self.session_version or 1) + 1

    # --- Passwords and second factor ---------------------------------------------------

    def set_password(self, password: str, now: datetime | None = None) -> None:
        """Store an argon2id hash of `password`."""
        self.password_hash = hash_password(password)
        self.password_changed_at = now or utcnow()

    def check_password(self, password: str) -> bool:
        """Whether `password` matches; upgrades the stored hash when its parameters are old."""
        try:
            password_hasher.verify(self.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        if password_hasher.check_needs_rehash(self.password_hash):
            self.password_hash = hash_password(password)
        return True

    def needs_totp(self) -> bool:
        """Coordinators, data officers and admins always need the second factor; others once
        they enabled it."""
        return self.role in TOTP_ROLES or bool(self.totp_confirmed)

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.coordinator, Role.admin)

    @property
    def can_manage_users(self) -> bool:
        return self.role == Role.admin

    def is_locked(self, now: datetime) -> bool:
        """Whether repeated failures still keep this account locked at `now`."""
        return self.locked_until is not None and self.locked_until > now
