"""Discharge standards and exceedance rules (DOMAIN §5). Pure: no Flask, no database."""

from collections.abc import Mapping
from dataclasses import dataclass, field

# The required indicators, in display order. Concentrations are mg/L; pH has no unit.
INDICATORS = ("ph", "cod", "nh3n", "tn", "tp")


@dataclass(frozen=True)
class Standard:
    """A named set of limits: upper limits in mg/L and an allowed pH range."""

    code: str
    limits: Mapping[str, float]
    ph_range: tuple[float, float] | None = (6.0, 9.0)
    # Limits of NH3-N that apply when the water is at or below 12 °C (GB 18918).
    cold_limits: Mapping[str, float] = field(default_factory=dict)


STANDARDS: dict[str, Standard] = {
    s.code: s
    for s in (
        Standard(
            "GB18918-1A",
            {"cod": 50, "nh3n": 5, "tn": 15, "tp": 0.5},
            cold_limits={"nh3n": 8},
        ),
        Standard(
            "GB18918-1B",
            {"cod": 60, "nh3n": 8, "tn": 20, "tp": 1},
            cold_limits={"nh3n": 15},
        ),
        Standard("GB18918-2", {"cod": 100, "nh3n": 25, "tp": 3}, cold_limits={"nh3n": 30}),
        Standard("GB8978-1", {"cod": 100, "nh3n": 15, "tp": 0.5}),
        Standard("GB8978-2", {"cod": 150, "nh3n": 25, "tp": 1.0}),
        Standard("GB8978-3", {"cod": 500}),
        Standard("GB3838-III", {"cod": 20, "nh3n": 1.0, "tn": 1.0, "tp": 0.2}),
        # Stormwater carries no discharge limit; what matters there is dry-weather flow.
        Standard("STORM", {}, ph_range=None),
        # A permit's own limits, built per outfall by standard_from_permit().
    )
}

# Default standard by first-level type, when an outfall names none: municipal plants
# discharge under GB 18918 1-A, enterprises under GB 8978 level 1, farms and other outlets
# under GB 8978 level 2. Stormwater outfalls (YH and the *_storm subtypes) get none:
# comparing runoff with a receiving-water class would flag nearly every rainy day.
DEFAULT_BY_TYPE = {
    "SH": "GB18918-1A",
    "GY": "GB8978-1",
    "NY": "GB8978-2",
    "YH": "STORM",
    "QT": "GB8978-2",
}

PERMIT = "PERMIT"


def standard_from_permit(limits: Mapping[str, float]) -> Standard | None:
    """The limits written into an approval, as a Standard; None when it sets none."""
    conc = {k: float(v) for k, v in limits.items() if k in INDICATORS and k != "ph"}
    ph_min, ph_max = limits.get("ph_min"), limits.get("ph_max")
    if not conc and ph_min is None and ph_max is None:
        return None
    ph_range = (float(ph_min), float(ph_max)) if ph_min is not None and ph_max is not None else None
    return Standard(PERMIT, conc, ph_range)


def applicable_standard(
    standard_code: str | None,
    category_l1: str,
    permit_limits: Mapping[str, float] | None,
    stormwater: bool = False,
) -> Standard:
    """The limits that apply to one outfall: its permit, else its named or default standard."""
    if permit_limits:
        permit = standard_from_permit(permit_limits)
        if permit is not None:
            return permit
    if standard_code in STANDARDS:
        return STANDARDS[standard_code]
    return STANDARDS["STORM" if stormwater else DEFAULT_BY_TYPE[category_l1]]


@dataclass(frozen=True)
class Exceedance:
    """One breached limit: which indicator, the measured value, and the limit broken."""

    indicator: str
    value: float
    limit: float | tuple[float, float] | None
    standard: str


def exceedances(
    values: Mapping[str, float | None],
    standard: Standard,
    *,
    stormwater: bool = False,
    weather: str | None = None,
    temperature_c: float | None = None,
) -> list[Exceedance]:
    """Every limit a sample breaks, plus dry-weather flow at a stormwater outfall."""
    found: list[Exceedance] = []
    ph = values.get("ph")
    if ph is not None and standard.ph_range is not None:
        low, high = standard.ph_range
        if not low <= ph <= high:
            found.append(Exceedance("ph", ph, standard.ph_range, standard.code))
    cold = temperature_c is not None and temperature_c <= 12
    for indicator in INDICATORS[1:]:
        value = values.get(indicator)
        limit = standard.limits.get(indicator)
        if cold and indicator in standard.cold_limits:
            limit = standard.cold_limits[indicator]
        if value is not None and limit is not None and value > limit:
            found.append(Exceedance(indicator, value, limit, standard.code))
    flow = values.get("flow_m3s")
    if stormwater and weather == "dry" and flow is not None and flow > 0:
        found.append(Exceedance("dry_weather_flow", flow, None, standard.code))
    return found
