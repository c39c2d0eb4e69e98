"""Signboards in batch: a multi-page PDF at real size with the font embedded, a ZIP of
SVGs, the "not installed" filter, and marking them installed through the ledger."""

import zipfile

import pypdf
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
