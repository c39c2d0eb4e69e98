"""QR codes decode back to the exact URL with an independent decoder (zxing-cpp)."""

import io
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from portal.outfalls.qr import QUIET_ZONE, qr_matrix, qr_png, qr_svg

SHORT_URL = "https://outfalls.example.gov.cn/o/HG45070200GY0001"
LONG_URL = (
    "https://outfalls.example.gov.cn/o/HG45070200GY0001/monitoring"
    "?from=2025-01-01&to=2025-12-31&pollutants=COD,NH3-N,TP,TN,pH"
    "&utm_source=signboard&utm_medium=qr&utm_campaign=2025-regularisation"
    "#latest-exceedance-and-remediation-status-" + "x" * 120
)
# 钦江 (Qin River), percent-escaped as UTF-8.
ESCAPED_URL = "https://outfalls.example.gov.cn/o/%E9%92%A6%E6%B1%9F-GY-0001?q=%E6%8E%92"


def decode(png: bytes) -> list[zxingcpp.Barcode]:
    """Decode every barcode in a PNG."""
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))


@pytest.mark.parametrize("url", [SHORT_URL, LONG_URL, ESCAPED_URL])
def test_png_decodes_to_exact_url(url):
    results = decode(qr_png(url))
    assert [r.text for r in results] == [url]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].bytes == url.encode("ascii")


def test_long_url_is_long_enough_to_need_a_large_version():
    # Guard that LONG_URL really exercises a big symbol (version >= 10: 57+ modules).
    assert len(LONG_URL) > 250
    assert len(qr_matrix(LONG_URL)) - 2 * QUIET_ZONE >= 57


def test_error_correction_is_level_h():
    assert decode(qr_png(SHORT_URL))[0].ec_level == "H"


def test_raw_non_ascii_is_percent_escaped_before_encoding():
    results = decode(qr_png("https://outfalls.example.gov.cn/o/钦江 1?q=排"))
    assert [r.text for r in results] == [
        "https://outfalls.example.gov.cn/o/%E9%92%A6%E6%B1%9F%201?q=%E6%8E%92"
    ]


def test_png_has_quiet_zone_scale_and_black_on_white():
    scale = 7
    img = Image.open(io.BytesIO(qr_png(SHORT_URL, scale=scale))).convert("L")
    modules = len(qr_matrix(SHORT_URL))
    assert img.size == (modules * scale, modules * scale)
    border = QUIET_ZONE * scale
    width, height = img.size
    quiet = [
        img.getpixel((x, y))
        for y in range(height)
        for x in range(width)
        if min(x, y, width - 1 - x, height - 1 - y) < border
    ]
    assert set(quiet) == {255}
    assert img.getpixel((border, border)) == 0  # finder pattern corner is black
    assert sorted(color for _, color in img.getcolors()) == [0, 255]


def test_png_is_deterministic_and_scales():
    assert qr_png(SHORT_URL) == qr_png(SHORT_URL)
    small = Image.open(io.BytesIO(qr_png(SHORT_URL, scale=2)))
    assert [r.text for r in zxingcpp.read_barcodes(small)] == [SHORT_URL]
    with pytest.raises(ValueError):
        qr_png(SHORT_URL, scale=0)


def test_matrix_has_quiet_zone_all_light():
    matrix = qr_matrix(SHORT_URL)
    n = len(matrix)
    assert all(len(row) == n for row in matrix)
    for i in range(QUIET_ZONE):
        assert not any(matrix[i]) and not any(matrix[n - 1 - i])
        assert not any(row[i] or row[n - 1 - i] for row in matrix)


@pytest.mark.parametrize("url", [SHORT_URL, LONG_URL, ESCAPED_URL])
def test_svg_is_well_formed_black_on_white(url):
    svg = qr_svg(url)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    fills = {el.get("fill") for el in root.iter() if el.get("fill")}
    strokes = {el.get("stroke") for el in root.iter() if el.get("stroke")}
    assert fills == {"#fff"}
    assert strokes == {"#000"}
    # Same modules as the PNG: size = (modules incl. quiet zone) * scale 10.
    assert root.get("width") == str(len(qr_matrix(url)) * 10)
    assert qr_svg(url) == svg
