"""The one door from a normalised sheet row into the registry: portal/outfalls/ledger.py.

The import validates and writes exactly as the /manage/ forms do (ledger.check, create,
update, find_entity, create_entity, create_water_body); nothing here repeats a rule.
"""

from typing import Any

from ..outfalls import ledger
from ..outfalls.models import Outfall


def outfall_data(values: dict[str, Any]) -> "ledger.OutfallData":
    """The ledger's input for one row (keys as OutfallData's fields)."""
    return ledger.OutfallData(**values)


def problems(data, outfall: Outfall | None, *, confirm_boundary: bool) -> list:
    """What the ledger refuses in this row (UserErrors with `.field`)."""
    return ledger.check(data, outfall=outfall, confirm_boundary=confirm_boundary)


def changes(outfall: Outfall, data) -> list[dict[str, Any]]:
    """The fields this row would change on an existing outfall (field/old/new)."""
    return ledger.changes_for(outfall, data)


def find_entity(name: str, credit_code: str | None) -> int | None:
    """The id of the entity this name (and credit code) means, if the registry has it."""
    found = ledger.find_entity(name, credit_code)
    return found.id if found is not None else None


def entity_id(name: str, credit_code: str | None, *, actor, reason: str) -> int:
    """The entity with this name (and credit code), created through the ledger if new."""
    found = ledger.find_entity(name, credit_code)
    if found is not None:
        return found.id
    made = ledger.create_entity(
        ledger.EntityData(name=name, credit_code=credit_code),
        actor=actor,
        reason=reason,
        source="import",
    )
    return made.id


def water_body_id(name: str, kind, *, actor, reason: str) -> int:
    """A receiving water the officer chose to create, through the ledger."""
    made = ledger.create_water_body(
        ledger.WaterBodyData(name=name, kind=kind), actor=actor, reason=reason, source="import"
    )
    return made.id


def write(outfall: Outfall | None, data, *, actor, reason: str, confirm_boundary: bool):
    """Create or update the outfall with history (source "import", the file as reason)."""
    if outfall is None:
        return ledger.create(
            data, actor=actor, reason=reason, source="import", confirm_boundary=confirm_boundary
        )
    return ledger.update(
        outfall,
        data,
        actor=actor,
        reason=reason,
        expected_version=outfall.version,
        source="import",
        confirm_boundary=confirm_boundary,
    )
