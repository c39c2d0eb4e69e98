"""The import's normalisers and header detection: pure, no app."""

from datetime import date

import pytest

from portal.imports import headers
from portal.imports import normalise as n


@pytest.mark.parametrize(
    "text",
    [
        "108°33′12.5″",
        "108度33分12.5秒",
        "108°33'12.5\"",
        "108° 33′ 12.5″",
        "E108°33′12.5″",
        "东经108°33′12.5″",
        "108:33:12.5",
        "１０８°３３′１２.５″",
        "108º33'12.5''",
    ],
)
def test_every_common_dms_writing_reads_as_the_same_decimal(text):
    value, notes = n.parse_angle(text)
    assert value == pytest.approx(108 + 33 / 60 + 12.5 / 3600)
    assert notes and notes[0].kind == "dms"


def test_decimal_degrees_pass_and_southern_hemisphere_is_negative():
    assert n.parse_angle(21.95) == (21.95, [])
    assert n.parse_angle("21.95")[0] == 21.95
    assert n.parse_angle("S21°30′")[0] == pytest.approx(-21.5)


@pytest.mark.parametrize("text", ["abc", "108°61′", "1e999", "108°33′72″"])
def test_unreadable_coordinates_are_refused(text):
    with pytest.raises(n.Unreadable):
        n.parse_angle(text)


def test_swapped_latitude_and_longitude_are_put_right():
    lat, lon, notes = n.fix_swapped(108.55, 21.95)
    assert (lat, lon) == (21.95, 108.55) and notes[0].kind == "swapped"
    assert n.fix_swapped(21.95, 108.55) == (21.95, 108.55, [])


def test_gcj02_and_bd09_convert_to_wgs84_at_known_points():
    import prcoords

    # Tiananmen in WGS84; its GCJ-02 and BD-09 forms come back within a metre.
    wgs = (39.908722, 116.397499)
    gcj = prcoords.wgs_gcj(prcoords.Coords(*wgs))
    bd = prcoords.wgs_bd(prcoords.Coords(*wgs))
    for crs, point in (("gcj02", gcj), ("bd09", bd)):
        lat, lon, notes = n.to_wgs84(point.lat, point.lon, crs)
        assert lat == pytest.approx(wgs[0], abs=1e-5) and lon == pytest.approx(wgs[1], abs=1e-5)
        assert notes[0].kind == crs
    # The offset itself is hundreds of metres (GCJ-02 is not WGS84).
    assert abs(gcj.lon - wgs[1]) > 0.003
    assert n.to_wgs84(21.9, 108.6, "cgcs2000") == (21.9, 108.6, [])


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("WGS84", "wgs84"),
        ("CGCS2000", "cgcs2000"),
        ("火星坐标", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("百度坐标系", "bd09"),
        ("BD09", "bd09"),
        ("", None),
    ],
)
def test_crs_names(cell, expected):
    assert n.parse_crs(cell) == expected


def test_unknown_crs_is_refused():
    with pytest.raises(n.Unreadable):
        n.parse_crs("北京54")


@pytest.mark.parametrize(
    "cell",
    [
        45047,
        45047.0,
        "45047",
        "2023年5月1日",
        "2023.5.1",
        "2023/05/01",
        "2023-05-01",
        "20230501",
        "２０２３年５月１日",
        date(2023, 5, 1),
    ],
)
def test_dates_in_every_writing(cell):
    assert n.parse_date(cell)[0] == date(2023, 5, 1)


@pytest.mark.parametrize("cell", ["2023年2月30日", "soon", 12])
def test_impossible_dates_are_refused(cell):
    with pytest.raises(n.Unreadable):
        n.parse_date(cell)


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2025年底前", date(2025, 12, 31)),
        ("2025年末", date(2025, 12, 31)),
        ("２０２５年１２月底前", date(2025, 12, 31)),
        ("2024年2月底", date(2024, 2, 29)),
        ("2025年6月", date(2025, 6, 30)),
        ("2025年6月30日之前", date(2025, 6, 30)),
        ("2025-06-30", date(2025, 6, 30)),
        (45839, date(2025, 7, 1)),
    ],
)
def test_deadlines_as_the_plans_write_them(cell, day):
    assert n.parse_deadline(cell)[0] == day


@pytest.mark.parametrize(
    "cell", ["2025年13月底", "2025年之前", "2025年6月31日前", "2025.10", "明年"]
)
def test_impossible_or_vague_deadlines_are_refused(cell):
    with pytest.raises(n.Unreadable):
        n.parse_deadline(cell)


def test_full_width_and_stray_spaces_are_cleaned_and_noted():
    value, notes = n.clean_text("  钦州港　１号排污口（南）  ")
    assert value == "钦州港 1号排污口（南）"
    assert {x.kind for x in notes} == {"fullwidth", "spaces"}


def test_codes_in_any_case_and_width():
    assert n.clean_code("ｔｗ0001-450702 gy0001")[0] == "TW0001450702GY0001"
    assert n.clean_code(450702.0)[0] == "450702"


def test_header_below_title_rows_with_synonyms_in_any_order():
    rows = [
        ["钦州市入河排污口排查台账", "", ""],
        ["填报单位：钦南区", "", ""],
        ["排口编号", "所在县区", "受纳水体", "名称", "类型", "奇怪的列"],
        ["A1", "钦南区", "钦江", "x", "GY", ""],
    ]
    header = headers.find_header(rows, [])
    assert header.row == 2 and header.rows == 1 and header.data_start == 3
    assert header.columns == {"code": 0, "region": 1, "water_body": 2, "name": 3, "type": 4}
    assert header.unknown == [(5, "奇怪的列")]


def test_two_row_header_from_merged_cells():
    rows = [
        ["台账"],
        ["编码", "名称", "坐标", "", "责任主体", "", "类型"],
        ["", "", "经度", "纬度", "名称", "统一社会信用代码", ""],
        ["A1", "x", 108.5, 21.9, "某公司", "91450702MA00000011", "GY"],
    ]
    merged = [((1, 2), (1, 3)), ((1, 4), (1, 5)), ((1, 0), (2, 0))]
    header = headers.find_header(rows, merged)
    assert header.rows == 2 and header.data_start == 3
    assert header.columns["lon"] == 2 and header.columns["lat"] == 3
    assert header.columns["responsible"] == 4 and header.columns["credit_code"] == 5
    assert header.columns["name"] == 1 and header.columns["type"] == 6


def test_headings_with_units_markers_and_brackets():
    assert headers.match_label("*经度（°）") == "lon"
    assert headers.match_label("入河（海）水体") == "water_body"
    assert headers.match_label("审批（登记、备案）文号") == "approval_no"


def test_no_header_is_none():
    assert headers.find_header([["a", "b"], [1, 2]], []) is None
