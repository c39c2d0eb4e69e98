"""Who may change which part of the registry: every /manage/ query is scoped here.

Deny by default. The data officer (数据管理员) and the coordinator keep the whole registry;
department staff and heads keep the outfalls their department supervises (and those
outfalls' approvals, monitoring and plans) and read the rest; retiring an outfall (merge,
ban, close) is the coordinator's. An id typed into a URL that the actor may not edit is
answered as if it did not exist (404), never with the record.
"""

from sqlalchemy import ColumnElement, false, select, true

from ..agencies.models import Role, StaffMember
from ..extensions import db
from .models import Outfall

# Every role that has a /manage/ page at all (each blueprint's roles_guard uses these).
REGISTRY_ROLES = (Role.data_officer, Role.coordinator)
DEPARTMENT_ROLES = (Role.staff, Role.head)
MANAGE_ROLES = REGISTRY_ROLES + DEPARTMENT_ROLES


def keeps_whole_registry(actor: StaffMember) -> bool:
    """The data officer and the coordinator edit every outfall, entity and water body."""
    return actor.role in REGISTRY_ROLES


def may_retire(actor: StaffMember) -> bool:
    """Merging, banning (取缔) and closing an outfall are the coordinator's."""
    return actor.role is Role.coordinator


def editable_outfalls(actor: StaffMember) -> ColumnElement[bool]:
    """A WHERE clause: the outfalls this actor may edit (deny by default)."""
    if keeps_whole_registry(actor):
        return true()
    if actor.role in DEPARTMENT_ROLES and actor.department_id is not None:
        return Outfall.supervising_department_id == actor.department_id
    return false()


def may_edit(actor: StaffMember, outfall: Outfall) -> bool:
    """Whether this actor may edit this (loaded) outfall; the same rule as the clause."""
    if keeps_whole_registry(actor):
        return True
    return (
        actor.role in DEPARTMENT_ROLES
        and actor.department_id is not None
        and outfall.supervising_department_id == actor.department_id
    )


def outfall_for_edit(actor: StaffMember, code: str) -> Outfall | None:
    """The outfall with this code if the actor may edit it; None otherwise (answer 404)."""
    return db.session.scalars(
        select(Outfall).where(Outfall.code == code, editable_outfalls(actor))
    ).first()
