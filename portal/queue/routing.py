"""Which department leads a new case: the most specific matching routing rule (pure)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A routing rule; None or empty means the rule does not look at that dimension."""

    id: int
    lead_department_id: int
    category: str | None = None
    outfall_type: str | None = None
    region_codes: frozenset[str] = frozenset()
    assisting: tuple[int, ...] = ()


@dataclass(frozen=True)
class Route:
    """The chosen lead department, its assisting departments and the rule that chose them."""

    lead: int
    assisting: tuple[int, ...]
    rule_id: int


class NoRouteError(LookupError):
    """No rule matches; the case goes to the coordinator's triage list."""


def _specificity(
    rule: Rule, category: str, outfall_type: str | None, region_chain: Sequence[str]
) -> tuple[int, int] | None:
    """(constrained dimensions, region depth) if the rule matches, else None."""
    if rule.category is not None and rule.category != category:
        return None
    # A complaint about no particular outfall has no type, so only type-blind rules fit.
    if rule.outfall_type is not None and rule.outfall_type != outfall_type:
        return None
    depth = 0
    if rule.region_codes:
        # The chain runs from most specific to least, so the first hit is the deepest;
        # depth counts up from the top so a county outranks its city.
        hit = next((i for i, code in enumerate(region_chain) if code in rule.region_codes), None)
        if hit is None:
            return None
        depth = len(region_chain) - hit
    dimensions = (
        (rule.category is not None) + (rule.outfall_type is not None) + bool(rule.region_codes)
    )
    return dimensions, depth


def choose_route(
    rules: Iterable[Rule], *, category: str, outfall_type: str | None, region_chain: Sequence[str]
) -> Route:
    """The route of the most specific matching rule; ties go to the lowest rule id.

    Specificity is the number of constrained dimensions first, then the depth of the
    region matched (a rule naming the county beats one naming the city).

    Raises:
        NoRouteError: no rule matches; the caller must not pick a default.
    """
    best: tuple[tuple[int, int, int], Rule] | None = None
    for rule in rules:
        spec = _specificity(rule, category, outfall_type, region_chain)
        if spec is None:
            continue
        key = (spec[0], spec[1], -rule.id)
        if best is None or key > best[0]:
            best = (key, rule)
    if best is None:
        raise NoRouteError(
            f"no routing rule for category={category!r} outfall_type={outfall_type!r} "
            f"region={tuple(region_chain)!r}"
        )
    rule = best[1]
    # Listing the lead among its own helpers, or a helper twice, is a data-entry slip.
    assisting = tuple(d for d in dict.fromkeys(rule.assisting) if d != rule.lead_department_id)
    return Route(lead=rule.lead_department_id, assisting=assisting, rule_id=rule.id)
