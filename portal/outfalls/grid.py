"""Pure helpers of the map: bounding boxes, zoom levels and the clustering grid.

No Flask and no database here (clustering.py queries by this grid); the API view turns
a `GeoError.reason` into a translated message.

The grid is global and aligned on (-90, -180): cell (row, col) covers
lat [-90 + row*size, -90 + (row+1)*size) and lon [-180 + col*size, -180 + (col+1)*size).
Because the grid does not depend on the viewport, a cell holds the same outfalls in every
response, and a bbox snapped outward to the grid gives identical URLs (and CDN cache hits)
for small pans of the map.
"""

import math
from dataclasses import dataclass

MIN_ZOOM = 0
MAX_ZOOM = 20
# A cell is this many screen pixels wide at its zoom (a 256 px tile spans 360 / 2**zoom
# degrees). A 1920 × 1080 viewport then holds at most 20 × 12 cells.
CELL_PX = 96
# The most cells one request may cover (after snapping): a 4K screen needs about 1 000.
# With one small feature per non-empty cell this bounds the response size.
MAX_CELLS = 1200


class GeoError(ValueError):
    """A bad map parameter; `reason` is a stable code the view translates."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float


def parse_zoom(raw: str | None) -> int:
    """A zoom level 0..20 from the query string.

    Raises:
        GeoError: missing ("zoom_missing") or not an integer in range ("zoom_invalid").
    """
    if raw is None or raw.strip() == "":
        raise GeoError("zoom_missing")
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 2:
        raise GeoError("zoom_invalid")
    zoom = int(raw)
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise GeoError("zoom_invalid")
    return zoom


def parse_bbox(raw: str | None) -> BBox:
    """`west,south,east,north` in WGS84 degrees.

    Raises:
        GeoError: "bbox_missing", "bbox_invalid" (not four finite numbers),
            "bbox_range" (outside ±180 / ±90) or "bbox_order" (west > east or south > north).
    """
    if raw is None or raw.strip() == "":
        raise GeoError("bbox_missing")
    parts = raw.split(",")
    if len(parts) != 4 or any(len(p) > 32 for p in parts):
        raise GeoError("bbox_invalid")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise GeoError("bbox_invalid") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise GeoError("bbox_invalid")
    if not (
        -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90
    ):
        raise GeoError("bbox_range")
    if west > east or south > north:
        raise GeoError("bbox_order")
    return BBox(west, south, east, north)


def cell_size(zoom: int) -> float:
    """The grid cell edge in degrees at a zoom level (CELL_PX screen pixels)."""
    return 360.0 / 2**zoom * CELL_PX / 256


def cell_range(low: float, high: float, origin: float, size: float) -> tuple[int, int]:
    """First and last cell index (inclusive) covering [low, high] on one axis."""
    first = math.floor((low - origin) / size)
    last = math.floor((high - origin) / size)
    return first, last


def snap(bbox: BBox, zoom: int) -> tuple[BBox, int]:
    """The bbox grown outward to whole grid cells, clamped to the world, and its cell count."""
    size = cell_size(zoom)
    row0, row1 = cell_range(bbox.south, bbox.north, -90.0, size)
    col0, col1 = cell_range(bbox.west, bbox.east, -180.0, size)
    snapped = BBox(
        west=max(-180.0, -180.0 + col0 * size),
        south=max(-90.0, -90.0 + row0 * size),
        east=min(180.0, -180.0 + (col1 + 1) * size),
        north=min(90.0, -90.0 + (row1 + 1) * size),
    )
    return snapped, (row1 - row0 + 1) * (col1 - col0 + 1)


def check_area(bbox: BBox, zoom: int) -> tuple[BBox, int]:
    """`snap`, refusing a viewport far larger than any screen at that zoom.

    Raises:
        GeoError: "bbox_too_large".
    """
    snapped, cells = snap(bbox, zoom)
    if cells > MAX_CELLS:
        raise GeoError("bbox_too_large")
    return snapped, cells


# Below this zoom, outfalls whose markers would overlap are drawn as one cluster even when
# the viewport is few enough to send as points (at zoom 7 the 338 outfalls of the demo
# region were drawn on top of each other); from it on, every point is itself.
SEPARATE_FROM_ZOOM = 16
# Markers closer than this many screen pixels overlap: a point is 16 px wide, a cluster's
# icon 30 to 54 px (up to 38 px below 100 outfalls), and a finger needs targets apart
# (WCAG 2.5.8). Points overlap within OVERLAP_PX; a cluster and any marker within
# CLUSTER_NEAR_PX; cluster icons of the grid (clusters mode) within CLUSTER_OVERLAP_PX.
OVERLAP_PX = 24
CLUSTER_NEAR_PX = 40
CLUSTER_OVERLAP_PX = 56


def overlap_groups(
    points: list[tuple[float, float]],
    zoom: int,
    px: int = OVERLAP_PX,
    weights: list[int] | None = None,
    cluster_px: int = CLUSTER_NEAR_PX,
) -> list[list[int]]:
    """Indexes of `points` (lat, lon) whose markers would overlap at `zoom`, grouped.

    Greedy and deterministic: each point joins the first group whose first point lies
    within `px` on screen (`cluster_px` when either already stands for several; Web
    Mercator scale at that latitude), else starts one; a grid finds the candidates, so a
    pass is linear in the points. Groups are drawn at their (weighted) centre, which may
    bring two of them close again: passes repeat on the centres until none overlap. From
    SEPARATE_FROM_ZOOM on every point is a group of its own.
    """
    if zoom >= SEPARATE_FROM_ZOOM:
        return [[i] for i in range(len(points))]
    weights = weights or [1] * len(points)
    groups = [[i] for i in range(len(points))]
    centres = list(points)
    mass = list(weights)
    for _ in range(8):
        radii = [
            px if len(g) == 1 and mass[n] == 1 else max(px, cluster_px)
            for n, g in enumerate(groups)
        ]
        merged = _one_pass(centres, radii, zoom)
        if len(merged) == len(groups):
            break
        groups = [[i for g in m for i in groups[g]] for m in merged]
        new_mass = [sum(mass[g] for g in m) for m in merged]
        centres = [
            (
                sum(centres[g][0] * mass[g] for g in m) / total,
                sum(centres[g][1] * mass[g] for g in m) / total,
            )
            for m, total in zip(merged, new_mass, strict=True)
        ]
        mass = new_mass
    return [sorted(g) for g in groups]


def _one_pass(points: list[tuple[float, float]], radii: list[int], zoom: int) -> list[list[int]]:
    """One greedy grouping: i joins the first seed within max(its radius, the seed's)."""
    if not points:
        return []
    degrees_per_px = 360.0 / 2**zoom / 256
    reach = max(radii) * degrees_per_px  # grid cell, in degrees of longitude
    # Mercator: a degree of latitude is 1/cos(lat) times longer on screen; a viewport spans
    # little latitude, so its middle's factor holds for all of it.
    middle = sum(p[0] for p in points) / len(points)
    stretch = 1.0 / max(math.cos(math.radians(middle)), 0.01)
    seeds: dict[tuple[int, int], list[int]] = {}  # grid cell -> groups seeded there
    groups: list[list[int]] = []
    seed_at: list[tuple[float, float, float]] = []  # y, x, radius in degrees
    floor = math.floor
    for i, (lat, lon) in enumerate(points):
        y, x = lat * stretch, lon
        near_i = radii[i] * degrees_per_px
        row, col = floor(y / reach), floor(x / reach)
        home = None
        for r in (row - 1, row, row + 1):
            for c in (col - 1, col, col + 1):
                for g in seeds.get((r, c), ()):
                    sy, sx, near_g = seed_at[g]
                    near = near_i if near_i > near_g else near_g
                    if (y - sy) ** 2 + (x - sx) ** 2 <= near * near and (home is None or g < home):
                        home = g
        if home is None:
            seeds.setdefault((row, col), []).append(len(groups))
            seed_at.append((y, x, near_i))
            groups.append([i])
        else:
            groups[home].append(i)
    return groups
