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
    outfall_subtype: str | None = None
    region_codes: frozenset[str] = frozenset()
    assisting: tuple[int, ...] = ()


@dataclass(frozen=True)
class Route:
    """The chosen lead department, its assisting departments and the rule that chose them."""

    lead: int
    assisting: tuple[int, ...]
    rule_id: int | None  # None: the outfall's own supervising department, no rule


class NoRouteError(LookupError):
    """No rule matches; the case goes to the coordinator's triage list."""


def precedence(rule: Rule, depth: int) -> tuple[int, int, int]:
    """How strongly a matching rule claims a case: the higher key wins.

    Constrained dimensions count first, then `depth`, the level of the region the rule
    names counted from the top (0 if it names none), so a county outranks its city; ties
    go to the lowest rule id. The route tester's list of rules sorts by this key too.
    """
    dimensions = (
        (rule.category is not None)
        + (rule.outfall_type is not None)
        + (rule.outfall_subtype is not None)
        + bool(rule.region_codes)
    )
    return dimensions, depth, -rule.id


def _match_depth(
    rule: Rule,
    category: str,
    outfall_type: str | None,
    region_chain: Sequence[str],
    outfall_subtype: str | None = None,
) -> int | None:
    """The depth of the region matched (0 if the rule names none), or None if no match."""
    if rule.category is not None and rule.category != category:
        return None
    # A complaint about no particular outfall has no type, so only type-blind rules fit.
    if rule.outfall_type is not None and rule.outfall_type != outfall_type:
        return None
    if rule.outfall_subtype is not None and rule.outfall_subtype != outfall_subtype:
        return None
    if not rule.region_codes:
        return 0
    # The chain runs from most specific to least, so the first hit is the deepest;
    # depth counts up from the top so a county outranks its city.
    hit = next((i for i, code in enumerate(region_chain) if code in rule.region_codes), None)
    if hit is None:
        return None
    return len(region_chain) - hit


def choose_route(
    rules: Iterable[Rule],
    *,
    category: str,
    outfall_type: str | None,
    region_chain: Sequence[str],
    outfall_subtype: str | None = None,
) -> Route:
    """The route of the most specific matching rule; ties go to the lowest rule id.

    Specificity is `precedence`: the number of constrained dimensions first, then the
    depth of the region matched (a rule naming the county beats one naming the city).

    Raises:
        NoRouteError: no rule matches; the caller must not pick a default.
    """
    best: tuple[tuple[int, int, int], Rule] | None = None
    for rule in rules:
        depth = _match_depth(rule, category, outfall_type, region_chain, outfall_subtype)
        if depth is None:
            continue
        key = precedence(rule, depth)
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


def route_for_outfall(
    rules: Iterable[Rule],
    *,
    category: str,
    outfall_type: str | None,
    region_chain: Sequence[str],
    supervising: int | None,
    outfall_subtype: str | None = None,
) -> Route:
    """The route of a complaint about an outfall.

    It goes to the department the outfall page names as supervising it. Only a rule that
    names the complaint's category may send it elsewhere (fish kill → 生态环境局), and then
    the supervising department assists. Type and region rules place what names no
    supervisor (a complaint about no outfall, or an outfall not yet assigned one).

    Raises:
        NoRouteError: no supervising department and no rule matches.
    """
    if supervising is None:
        return choose_route(
            rules,
            category=category,
            outfall_type=outfall_type,
            region_chain=region_chain,
            outfall_subtype=outfall_subtype,
        )
    try:
        found = choose_route(
            [r for r in rules if r.category is not None],
            category=category,
            outfall_type=outfall_type,
            region_chain=region_chain,
            outfall_subtype=outfall_subtype,
        )
    except NoRouteError:
        return Route(lead=supervising, assisting=(), rule_id=None)
    if found.lead == supervising:
        return found
    assisting = (supervising, *(d for d in found.assisting if d != supervising))
    return Route(lead=found.lead, assisting=assisting, rule_id=found.rule_id)
