"""The one door from a normalised sheet row into the registry: portal/outfalls/ledger.py.

The import judges rows by the forms' own rules (ledger.plan → ledger.check, with the
registry's answers preloaded per batch: ledger.BatchLookups), writes them with
ledger.write_batch, and creates entities and waters with create_entity and
create_water_body; nothing here repeats a rule.
"""

from typing import Any

from ..outfalls import ledger


def outfall_data(values: dict[str, Any]) -> "ledger.OutfallData":
    """The ledger's input for one row (keys as OutfallData's fields)."""
    return ledger.OutfallData(**values)


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
