"""Signboards: real size, escaped text, embedded CJK font, and a QR that scans."""

import io
import xml.etree.ElementTree as ET
from dataclasses import replace

import pypdfium2 as pdfium
import pytest
import resvg_py
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops
from pypdf import PdfReader

from portal.outfalls import signboard
from portal.outfalls.signboard import (
    SignboardContent,
    pdf_font_path,
    signboard_pdf,
    signboard_svg,
)

SVG_NS = "{http://www.w3.org/2000/svg}"
MM_PER_PT = 25.4 / 72
DPI = 100

URL = "https://outfalls.example.gov.cn/o/HG45070200GY0001"
CONTENT = SignboardContent(
    title="入河排污口",
    name="钦州市钦南区钦州港污水处理厂1#排污口 <A&B>",
    code="HG45070200GY0001",
    rows=(
        ("排污口类型", "工业排污口"),
        ("受纳水体", "钦江"),
        ("责任主体", "钦州市某某化工有限公司 & 合伙人 <测试>"),
        ("监管部门", "钦州市生态环境局"),
        ("监督电话", "12369"),
    ),
    url=URL,
    footer="扫码查看排污口信息、监测数据，或举报问题",
)
LONG_URL = "https://outfalls.example.gov.cn/o/%E9%92%A6%E6%B1%9F-" + "GY0001-" * 20
# Everything as long as it gets: nothing may overflow, the QR must still scan.
CROWDED = SignboardContent(
    title="入海排污口（试行备案）",
    name="宜昌市长阳土家族自治县高家堰镇高家堰村白果坪" * 5 + "3#城镇雨洪排口",
    code="HG45070200GY0001-LEGACY-CODE-" * 3,
    rows=tuple((f"字段{i}", "某某很长的责任主体名称有限责任公司" * 3) for i in range(9)),
    url=LONG_URL,
    footer="扫码查看排污口信息、监测数据，或举报问题。" * 4,
)


@pytest.fixture(scope="module")
def svg() -> bytes:
    return signboard_svg(CONTENT)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return signboard_pdf(CONTENT)


@pytest.fixture(scope="module")
def crowded_pdf() -> bytes:
    return signboard_pdf(CROWDED)


def render_pdf(data: bytes) -> Image.Image:
    """Rasterise page 1 with PDFium at DPI, greyscale."""
    doc = pdfium.PdfDocument(data)
    try:
        page = doc[0]
        image = page.render(scale=DPI / 72).to_pil().convert("L")
        page.close()
    finally:
        doc.close()
    return image


def render_svg(data: bytes) -> Image.Image:
    """Rasterise the SVG with resvg at DPI, using only the vendored font."""
    png = resvg_py.svg_to_bytes(
        svg_string=data.decode("utf-8"),
        dpi=float(DPI),
        skip_system_fonts=True,
        font_files=[str(pdf_font_path())],
    )
    return Image.open(io.BytesIO(bytes(png))).convert("L")


def pdf_chars(data: bytes) -> tuple[str, list[tuple[float, float, float, float]]]:
    """Page text and per-character boxes (left, top, right, bottom) in mm, y down."""
    doc = pdfium.PdfDocument(data)
    try:
        page = doc[0]
        height = page.get_height()
        textpage = page.get_textpage()
        count = textpage.count_chars()
        text = textpage.get_text_range()
        boxes = []
        for i in range(count):
            left, bottom, right, top = textpage.get_charbox(i)
            if right > left:  # line breaks and spaces have empty boxes
                boxes.append(
                    (
                        left * MM_PER_PT,
                        (height - top) * MM_PER_PT,
                        right * MM_PER_PT,
                        (height - bottom) * MM_PER_PT,
                    )
                )
        textpage.close()
        page.close()
    finally:
        doc.close()
    return text, boxes


def decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    """Decode QR codes only."""
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


# --- SVG ------------------------------------------------------------------------


def test_svg_is_well_formed_at_real_size(svg):
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") == "480mm"
    assert root.get("height") == "300mm"
    assert root.get("viewBox") == "0 0 480 300"


def test_svg_escapes_text(svg):
    assert b"&lt;A&amp;B&gt;" in svg
    assert b"<A&B>" not in svg
    root = ET.fromstring(svg)
    texts = [el.text or "" for el in root.iter(f"{SVG_NS}text")]
    joined = "".join(texts)
    assert "<A&B>" in joined
    assert "钦州市某某化工有限公司 & 合伙人 <测试>" in texts
    assert root.find(f"{SVG_NS}title").text == f"入河排污口 {CONTENT.name}"


def test_svg_uses_bold_cjk_font_stack(svg):
    root = ET.fromstring(svg)
    group = next(el for el in root.iter(f"{SVG_NS}g") if el.get("font-family"))
    assert group.get("font-family").startswith('"Noto Sans CJK SC"')
    assert group.get("font-family").endswith("sans-serif")
    assert group.get("font-weight") == "bold"
    assert "Microsoft YaHei" in group.get("font-family")


def test_svg_strips_xml_invalid_control_characters():
    content = SignboardContent(
        title="入河排污口",
        name="坏\x00字\x0b符\x1f名\n\u3000 排污口",
        code="GY\x080001",
        rows=(("类型", "工业\x07"),),
        url=URL,
        footer="扫码",
    )
    root = ET.fromstring(signboard_svg(content))
    texts = [el.text for el in root.iter(f"{SVG_NS}text")]
    assert "坏字符名 排污口" in texts
    assert "编码：GY0001" in texts


def test_svg_qr_decodes_after_rasterising(svg):
    results = decode(render_svg(svg))
    assert [r.text for r in results] == [URL]
    assert results[0].ec_level == "H"


def test_svg_text_stays_inside_its_column():
    # Measured with the vendored font's metrics, which the layout also uses.
    root = ET.fromstring(signboard_svg(CROWDED))
    lines = list(root.iter(f"{SVG_NS}text"))
    assert len(lines) > 20
    for el in lines:
        x, size = float(el.get("x")), float(el.get("font-size"))
        right = x + signboard._measure(el.text or "", size)
        assert x >= 18 and right <= 462, el.text
        # Text never runs into the QR panel (x 302..460 from the top edge down).
        assert not (x < 302 < right), el.text
        assert 9 < float(el.get("y")) < 291


# --- PDF ------------------------------------------------------------------------


def test_pdf_is_one_page_at_real_size(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) * MM_PER_PT == pytest.approx(480, abs=0.5)
    assert float(box.height) * MM_PER_PT == pytest.approx(300, abs=0.5)


def test_pdf_embeds_a_subset_truetype_cjk_font(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert len(fonts) == 1
    font = next(iter(fonts.values())).get_object()
    assert font["/Subtype"] == "/Type0"
    base = font["/BaseFont"]
    prefix, _, name = base.lstrip("/").partition("+")
    assert len(prefix) == 6 and prefix.isupper() and name.startswith("NotoSansSC")
    cid_font = font["/DescendantFonts"][0].get_object()
    assert cid_font["/Subtype"] == "/CIDFontType2"
    descriptor = cid_font["/FontDescriptor"].get_object()
    assert "/FontFile2" in descriptor
    embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
    # Subset: a few dozen glyphs, not the ~30k of the full font, all with outlines.
    glyf = embedded["glyf"]
    order = embedded.getGlyphOrder()
    assert 30 < len(order) < 300
    drawn = [g for g in order if glyf[g].numberOfContours != 0]
    assert len(drawn) > len(order) * 0.8


def test_pdf_text_is_extractable_chinese(pdf):
    text, _ = pdf_chars(pdf)
    for expected in ("入河排污口", "钦州市生态环境局", "<A&B>", "扫码查看排污口信息"):
        assert expected in text.replace("\r\n", "").replace("\n", "")


def test_pdf_qr_decodes_and_is_large_enough(pdf):
    results = decode(render_pdf(pdf))
    assert [r.text for r in results] == [URL]
    assert results[0].ec_level == "H"
    pos = results[0].position
    width_mm = (pos.top_right.x - pos.top_left.x) * 25.4 / DPI
    height_mm = (pos.bottom_left.y - pos.top_left.y) * 25.4 / DPI
    # Symbol without its quiet zone: readable from about 1.5 m.
    assert width_mm >= 90 and height_mm >= 90


def test_pdf_matches_svg_rendering(pdf, svg):
    # The same layout drawn twice; PDF glyphs (embedded font) and SVG glyphs
    # (resvg with the vendored font) must land in the same places. Compared at
    # 1/8 resolution so one-pixel anti-aliasing differences do not count.
    a, b = render_pdf(pdf), render_svg(svg)
    width, height = min(a.width, b.width), min(a.height, b.height)

    def small(image):
        return image.crop((0, 0, width, height)).resize(
            (width // 8, height // 8), Image.Resampling.BOX
        )

    histogram = ImageChops.difference(small(a), small(b)).histogram()
    differing = sum(histogram[33:]) / sum(histogram)
    assert differing < 0.01


def test_pdf_shows_text_in_white_on_green(pdf):
    image = render_pdf(pdf).convert("L")
    # The title area (right of the symbol) has white glyph pixels on green.
    box = tuple(round(v * DPI / 25.4) for v in (90, 25, 290, 73))
    title = image.crop(box).histogram()
    white = sum(title[230:]) / sum(title)
    assert 0.15 < white < 0.7


def test_pdf_is_small(pdf):
    assert len(pdf) < 300_000


def test_crowded_pdf_keeps_everything_inside(crowded_pdf):
    reader = PdfReader(io.BytesIO(crowded_pdf))
    assert len(reader.pages) == 1
    text, boxes = pdf_chars(crowded_pdf)
    assert "入海排污口" in text
    assert all(f"字段{i}" in text for i in range(len(CROWDED.rows)))
    assert len(boxes) > 200
    for left, top, right, bottom in boxes:
        assert 9 < left < right < 471 and 9 < top < bottom < 291
        assert not (left < 302 < right)


def test_crowded_pdf_qr_still_decodes(crowded_pdf):
    assert [r.text for r in decode(render_pdf(crowded_pdf))] == [LONG_URL]


def test_crowded_svg_qr_still_decodes():
    image = render_svg(signboard_svg(CROWDED))
    assert [r.text for r in decode(image)] == [LONG_URL]


def test_batch_pages_are_written_as_they_are_drawn():
    # Memory stays flat: each page is in the output before the next signboard is asked for.
    class Sink:
        size = 0

        def write(self, data):  # write-only, as a streamed response or a pipe
            self.size += len(data)

    sink, seen = Sink(), []

    def contents():
        for n in range(4):
            yield replace(CONTENT, code=f"HG45070200GY{n:04d}", url=f"{URL[:-4]}{n:04d}")
            seen.append(sink.size)

    assert signboard.signboards_pdf(contents(), sink, "标识牌") == 4
    assert seen[0] > 1000 and all(a < b for a, b in zip(seen, seen[1:], strict=False))


def test_batch_font_subset_is_the_union_of_every_page(tmp_path):
    pages = [replace(CONTENT, name=name) for name in ("甲乙丙排口", "丁戊己排口", "庚辛壬排口")]
    out = io.BytesIO()
    signboard.signboards_pdf(pages, out)
    data = out.getvalue()
    reader = PdfReader(io.BytesIO(data))
    font = reader.pages[0]["/Resources"]["/Font"]["/F1"].get_object()
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
    cmap = embedded.getBestCmap()
    assert all(ord(ch) in cmap for ch in "甲乙丙丁戊己庚辛壬")
    doc = pdfium.PdfDocument(data)
    try:
        for i, name in enumerate(("甲乙丙排口", "丁戊己排口", "庚辛壬排口")):
            textpage = doc[i].get_textpage()
            assert name in textpage.get_text_range()
            textpage.close()
    finally:
        doc.close()
    # Each page's glyphs are drawn (not .notdef boxes): the name renders like the SVG.
    for i in range(3):
        single = signboard_pdf(pages[i])
        doc = pdfium.PdfDocument(data)
        try:
            batch_page = doc[i].render(scale=DPI / 72).to_pil().convert("L")
        finally:
            doc.close()
        diff = ImageChops.difference(batch_page, render_pdf(single)).histogram()
        assert sum(diff[33:]) / sum(diff) < 0.001


def test_font_file_is_vendored_truetype_with_licence():
    path = pdf_font_path()
    assert path.is_file()
    assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType outlines
    assert (path.parent / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE") >= 1
