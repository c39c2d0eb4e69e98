"""The map grid's pure helpers: no Flask, no database."""

import math

import pytest

from portal.outfalls import grid


@pytest.mark.parametrize("raw", ["0", "7", "20", " 11 "])
def test_parse_zoom_accepts_whole_numbers_in_range(raw):
    assert grid.parse_zoom(raw) == int(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "zoom_missing"),
        ("", "zoom_missing"),
        ("-1", "zoom_invalid"),
        ("21", "zoom_invalid"),
        ("7.5", "zoom_invalid"),
        ("abc", "zoom_invalid"),
        ("١٢", "zoom_invalid"),  # non-ASCII digits
        ("0007", "zoom_invalid"),
    ],
)
def test_parse_zoom_rejects(raw, reason):
    with pytest.raises(grid.GeoError) as info:
        grid.parse_zoom(raw)
    assert info.value.reason == reason


def test_parse_bbox():
    assert grid.parse_bbox("108.5,21.9,108.7,22.1") == grid.BBox(108.5, 21.9, 108.7, 22.1)
    assert grid.parse_bbox("-180,-90,180,90") == grid.BBox(-180, -90, 180, 90)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "bbox_missing"),
        (" ", "bbox_missing"),
        ("1,2,3", "bbox_invalid"),
        ("1,2,3,4,5", "bbox_invalid"),
        ("a,2,3,4", "bbox_invalid"),
        ("nan,2,3,4", "bbox_invalid"),
        ("inf,2,3,4", "bbox_invalid"),
        ("1" * 40 + ",2,3,4", "bbox_invalid"),
        ("-181,0,10,10", "bbox_range"),
        ("0,-91,10,10", "bbox_range"),
        ("0,0,10,95", "bbox_range"),
        ("10,0,5,10", "bbox_order"),
        ("0,10,10,5", "bbox_order"),
    ],
)
def test_parse_bbox_rejects(raw, reason):
    with pytest.raises(grid.GeoError) as info:
        grid.parse_bbox(raw)
    assert info.value.reason == reason


def test_cell_size_halves_with_each_zoom_and_nests():
    for zoom in range(grid.MAX_ZOOM):
        assert grid.cell_size(zoom + 1) == grid.cell_size(zoom) / 2
    # A cell is CELL_PX screen pixels wide: a 1920 × 1080 screen holds a few hundred at most.
    for zoom in range(grid.MAX_ZOOM + 1):
        px_per_degree = 256 * 2**zoom / 360
        assert grid.cell_size(zoom) * px_per_degree == pytest.approx(grid.CELL_PX)
    assert math.ceil(1920 / grid.CELL_PX + 1) * math.ceil(1080 / grid.CELL_PX + 1) < 400


def test_snap_grows_to_whole_cells_and_counts_them():
    bbox = grid.BBox(108.51, 21.91, 108.69, 22.09)
    snapped, cells = grid.snap(bbox, 11)
    size = grid.cell_size(11)
    assert snapped.west <= bbox.west < snapped.west + size
    assert snapped.east - size < bbox.east <= snapped.east
    assert snapped.south <= bbox.south and snapped.north >= bbox.north
    for edge, origin in ((snapped.west, -180), (snapped.south, -90)):
        assert ((edge - origin) / size) == pytest.approx(round((edge - origin) / size))
    cols = round((snapped.east - snapped.west) / size)
    rows = round((snapped.north - snapped.south) / size)
    assert cells == rows * cols
    # Small pans inside the same cells give the same snapped box (same URL, cache hit).
    assert grid.snap(grid.BBox(108.512, 21.912, 108.688, 22.088), 11)[0] == snapped


def test_snap_clamps_to_the_world():
    snapped, cells = grid.snap(grid.BBox(-180, -90, 180, 90), 0)
    assert snapped == grid.BBox(-180, -90, 180, 90)
    assert cells <= 12


def test_check_area_refuses_a_huge_area_at_a_high_zoom():
    assert grid.check_area(grid.BBox(108, 21, 109, 22), 9)[1] <= grid.MAX_CELLS
    with pytest.raises(grid.GeoError) as info:
        grid.check_area(grid.BBox(104, 20, 112, 27), 15)
    assert info.value.reason == "bbox_too_large"
    # The whole world is fine at zoom 0..3.
    for zoom in range(4):
        grid.check_area(grid.BBox(-180, -90, 180, 90), zoom)


def test_markers_that_would_overlap_are_grouped_until_they_separate():
    from portal.outfalls.grid import SEPARATE_FROM_ZOOM, overlap_groups

    # Two blocks of 3 × 3 outfalls 110 m apart, the blocks ~5 km apart.
    points = [
        (lat + (i % 3) * 0.001, lon + (i // 3) * 0.001)
        for lat, lon in ((21.95, 108.62), (21.99, 108.66))
        for i in range(9)
    ]
    assert [len(g) for g in overlap_groups(points, 7)] == [18]  # 5 km is ~10 px at zoom 7
    for zoom in (11, 13):
        assert sorted(len(g) for g in overlap_groups(points, zoom)) == [9, 9]
    assert overlap_groups(points, 11)[0] == list(range(9))
    # At zoom 15 they are ~23 px apart: each its own marker once zoom 16 is reached.
    assert len(overlap_groups(points, SEPARATE_FROM_ZOOM)) == 18
    assert sorted(sum(overlap_groups(points, 14), [])) == list(range(18))  # none lost


def test_far_apart_markers_are_never_grouped():
    from portal.outfalls.grid import overlap_groups

    assert overlap_groups([(21.0, 108.0), (22.0, 109.0)], 7) == [[0], [1]]
    assert overlap_groups([], 9) == []


def test_grouped_markers_end_apart_from_each_other():
    import math
    import random

    from portal.outfalls.grid import CLUSTER_NEAR_PX, overlap_groups

    rng = random.Random(7)
    points = [(21.9 + rng.random() * 0.2, 108.5 + rng.random() * 0.3) for _ in range(300)]
    zoom = 11
    groups = overlap_groups(points, zoom)
    assert sorted(i for g in groups for i in g) == list(range(300))
    centres = [
        (sum(points[i][0] for i in g) / len(g), sum(points[i][1] for i in g) / len(g))
        for g in groups
    ]
    px = 360 / 2**zoom / 256
    for a in range(len(centres)):
        for b in range(a + 1, len(centres)):
            (la, lo), (lb, lob) = centres[a], centres[b]
            stretch = 1 / math.cos(math.radians(la))
            gap = math.hypot((la - lb) * stretch, lo - lob) / px
            several = len(groups[a]) > 1 or len(groups[b]) > 1
            assert gap > (CLUSTER_NEAR_PX if several else 24) * 0.999
