"""Signboards in batch: a multi-page PDF at real size with the font embedded, a ZIP of
SVGs, the "not installed" filter, and marking them installed through the ledger."""

import zipfile

import pypdf
import pypdfium2 as pdfium
import zxingcpp
from sqlalchemy import select

from portal.extensions import db
from portal.outfalls.models import LedgerEntry, Outfall
from tests import factories as f


def _setup(seed):
    def make():
        region = f.region(code="450702", name="钦南区")
        for n in range(3):
            f.outfall(region=region, code=f"QJ01450702GY{n:04d}")
        f.outfall(region=region, code="QJ01450702GY0009", signboard_installed_on=f_date())

    seed(make)


def f_date():
    from datetime import date

    return date(2023, 5, 1)


def test_pdf_has_one_real_size_page_per_signboard_not_installed(app, runner, seed, tmp_path):
    _setup(seed)
    out = tmp_path / "boards.pdf"
    result = runner.invoke(args=["portal", "signboards", str(out), "--not-installed"])
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 3
    box = reader.pages[0].mediabox
    assert (
        round(float(box.width) * 25.4 / 72) == 480 and round(float(box.height) * 25.4 / 72) == 300
    )
    fonts = reader.pages[0]["/Resources"]["/Font"]
    font = next(iter(fonts.values())).get_object()
    assert "/FontFile2" in font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    assert "QJ01450702GY0001" in reader.pages[1].extract_text()


def test_every_page_of_a_batch_is_real_size_and_its_qr_leads_to_its_own_outfall(
    app, runner, seed, tmp_path
):
    def make():
        region = f.region(code="450702", name="钦南区")
        # Names with characters no other page has: the one font subset must cover them all.
        for n, name in enumerate(("钦州港鹿耳环江排口", "犀牛脚镇沙井排口", "那丽镇渔洲坪排口")):
            f.outfall(region=region, code=f"QJ01450702GY{n:04d}", name=name)

    seed(make)
    out = tmp_path / "boards.pdf"
    assert runner.invoke(args=["portal", "signboards", str(out)]).exit_code == 0
    base = app.config["PUBLIC_BASE_URL"]
    codes = [f"QJ01450702GY{n:04d}" for n in range(3)]
    names = ("钦州港鹿耳环江排口", "犀牛脚镇沙井排口", "那丽镇渔洲坪排口")
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 3
    # One embedded font for the whole document, shared by every page.
    fonts = {page["/Resources"]["/Font"].raw_get("/F1").idnum for page in reader.pages}
    assert len(fonts) == 1
    doc = pdfium.PdfDocument(out)
    try:
        for i, (code, name) in enumerate(zip(codes, names, strict=True)):
            page = doc[i]
            width, height = page.get_size()
            assert round(width * 25.4 / 72, 1) == 480 and round(height * 25.4 / 72, 1) == 300
            image = page.render(scale=100 / 72).to_pil().convert("L")
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            assert [r.text for r in results] == [f"{base}/o/{code}"]
            textpage = page.get_textpage()
            text = textpage.get_text_range().replace("\r\n", "").replace("\n", "")
            textpage.close()
            page.close()
            assert name in text and code in text
    finally:
        doc.close()


def test_zip_of_svgs(app, runner, seed, tmp_path):
    _setup(seed)
    out = tmp_path / "boards.zip"
    assert runner.invoke(args=["portal", "signboards", str(out)]).exit_code == 0
    names = zipfile.ZipFile(out).namelist()
    assert len(names) == 4 and names[0] == "signboard-QJ01450702GY0000.svg"


def test_mark_installed_in_batch_writes_history(app, runner, seed, tmp_path):
    _setup(seed)
    result = runner.invoke(
        args=["portal", "signboards", str(tmp_path / "batch-1"), "--mark-installed", "2024-06-01"]
    )
    assert result.exit_code == 0 and "Marked 3" in result.output
    with app.app_context():
        dates = db.session.scalars(select(Outfall.signboard_installed_on)).all()
        assert sorted(d.isoformat() for d in dates) == ["2023-05-01"] + ["2024-06-01"] * 3
        entries = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.reason == "batch-1")
        ).all()
        assert len(entries) == 3
