"""Plain geography: the bounds of China, distances, and finite coordinates."""

import math

# Mainland China, generously: coordinates outside it are a mistake, not a report.
CHINA_LAT = (3.8, 53.6)
CHINA_LON = (73.4, 135.1)

EARTH_RADIUS_M = 6_371_000
M_PER_DEG_LAT = 111_320.0


def in_china(lat: float, lon: float) -> bool:
    """Whether a WGS84 point lies within China's bounding box."""
    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def box_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) of a box holding the circle: what a lat/lon index answers."""
    dlat = radius_m / M_PER_DEG_LAT
    dlon = radius_m / (M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def parse_point(lat_text: str | None, lon_text: str | None) -> tuple[float, float] | None:
    """A WGS84 point from two query values; None when both are empty.

    Raises:
        ValueError: one is missing, or either is not a finite number in range
            (``inf``, ``nan`` and ``1e309`` included).
    """
    if not lat_text and not lon_text:
        return None
    if not lat_text or not lon_text or len(lat_text) > 32 or len(lon_text) > 32:
        raise ValueError("incomplete or oversized point")
    lat, lon = float(lat_text), float(lon_text)
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise ValueError("not a point on Earth")
    return lat, lon
