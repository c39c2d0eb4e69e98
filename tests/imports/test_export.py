"""Export in the import template, and export → import changes nothing (the round trip)."""

import csv
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.imports.export import HEADINGS, csv_chunks, write_xlsx
from portal.imports.service import run
from portal.outfalls.models import ChannelKind, LedgerEntry
from portal.outfalls.services import OutfallFilters
from tests import factories as f


@pytest.fixture
def registry(app_ctx):
    region = f.region(code="450702", name="钦南区")
    water = f.water_body(name="钦江")
    sea = f.water_body(name="钦州湾", kind="sea", code="QZW")
    dept = f.department(name="钦州市生态环境局")
    for n in range(5):
        f.outfall(
            region=region,
            water_body=water,
            department=dept,
            channel_kind=ChannelKind.pipe,
            code=f"QJ01450702GY{n:04d}",
            lat=21.95 + n / 1000,
            lon=108.62,
        )
    f.outfall(
        region=region,
        water_body=sea,
        code="QZW450702SH0001",
        category_l1="SH",
        category_l2="sh_wwtp",
        water_kind="sea",
        lat=21.7,
        lon=108.6,
        responsible=None,
    )
    db.session.commit()


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_is_a_no_op(registry, tmp_path, suffix):
    path = tmp_path / f"registry{suffix}"
    if suffix == ".csv":
        path.write_bytes(b"".join(csv_chunks(OutfallFilters())))
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    else:
        write_xlsx(OutfallFilters(), path)
    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    report = run(path, path.name, apply=True)
    db.session.commit()
    assert len(report.outcomes) == 6
    assert {o.status for o in report.outcomes} == {"unchanged"}, [
        (o.messages, o.changes) for o in report.outcomes if o.status != "unchanged"
    ]
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == entries


def test_export_is_filtered_as_the_list(registry, tmp_path):
    text = b"".join(csv_chunks(OutfallFilters(type="SH"))).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADINGS and [r[0] for r in rows[1:]] == ["QZW450702SH0001"]


def test_template_explains_every_column(app_ctx, tmp_path):
    path = tmp_path / "template.xlsx"
    write_xlsx(None, path)
    book = openpyxl.load_workbook(path)
    first, guide = book.worksheets
    assert [c.value for c in first[1]] == HEADINGS and first.max_row == 1
    explained = [row[0] for row in guide.iter_rows(min_row=2, values_only=True)]
    assert explained == HEADINGS
