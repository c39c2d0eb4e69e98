"""Export in the import template, and export → import changes nothing (the round trip)."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import delete, func, select

from portal.extensions import db
from portal.imports.export import COLUMNS, HEADINGS, csv_chunks, write_xlsx, xlsx_chunks
from portal.imports.service import run
from portal.outfalls.models import (
    Approval,
    ApprovalKind,
    ApprovalState,
    ChannelKind,
    LedgerEntry,
    Outfall,
    RemediationCategory,
    RemediationEvent,
    RemediationMilestone,
    RemediationPlan,
    RemediationStatus,
)
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


@pytest.fixture
def decided(registry):
    """Decisions and plans on the registry's outfalls (codes … GY0000 to GY0004, SH0001)."""
    by_code = {o.code: o for o in db.session.scalars(select(Outfall))}
    # In force: a correction replaces its corrected version (same decision, new number).
    old = f.approval(
        by_code["QJ01450702GY0000"],
        decision_no="钦环审〔2024〕1号",
        decided_on=date(2024, 3, 1),
        state=ApprovalState.corrected,
    )
    f.approval(
        by_code["QJ01450702GY0000"],
        decision_no="钦环审〔2024〕1号（更正）",
        decided_on=date(2024, 3, 1),
        replaces_id=old.id,
    )
    # Past its validity, and revoked: none is in force.
    f.approval(
        by_code["QJ01450702GY0001"], decided_on=date(2015, 1, 5), valid_until=date(2020, 1, 4)
    )
    f.approval(by_code["QJ01450702GY0002"], revoked_on=date(2024, 9, 1))
    f.approval(
        by_code["QZW450702SH0001"],
        kind=ApprovalKind.filing,
        decision_no="钦海备〔2023〕7号",
        decided_on=date(2023, 11, 20),
        valid_until=date(2099, 12, 31),
    )
    f.plan(
        by_code["QJ01450702GY0000"],
        category=RemediationCategory.regularise,
        status=RemediationStatus.remediating,
    )
    f.plan(
        by_code["QJ01450702GY0003"],
        category=RemediationCategory.ban,
        status=RemediationStatus.closed,
    )
    f.plan(
        by_code["QZW450702SH0001"],
        category=RemediationCategory.retain,
        status=RemediationStatus.retained,
    )
    db.session.commit()


def _export(path):
    if path.suffix == ".csv":
        path.write_bytes(b"".join(csv_chunks(OutfallFilters())))
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    else:
        write_xlsx(OutfallFilters(), path)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_is_a_no_op(registry, tmp_path, suffix):
    _assert_round_trip_is_a_no_op(tmp_path / f"registry{suffix}")


def _assert_round_trip_is_a_no_op(path) -> None:
    """Export to `path`, apply it: every row unchanged, no history entry written."""
    _export(path)
    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    report = run(path, path.name, apply=True)
    db.session.commit()
    assert [o.status for o in report.outcomes] == ["unchanged"] * 6, [
        (o.messages, o.changes) for o in report.outcomes if o.status != "unchanged"
    ]
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == entries


RECORDS = (
    "approval_no",
    "approval_date",
    "approval_authority",
    "remediation_category",
    "remediation_deadline",
    "remediation_status",
)


def _four(rows: list[list]) -> dict[str, tuple]:
    at = [COLUMNS.index(k) for k in RECORDS]
    return {row[0]: tuple(row[i] or "" for i in at) for row in rows[1:]}


def test_export_writes_the_decision_in_force_and_the_plan(decided, tmp_path):
    assert COLUMNS[16:24] == ("channel", *RECORDS, "signboard_on")
    assert HEADINGS[17:23] == [
        "审批（登记、备案）文号",
        "审批日期",
        "审批机关",
        "整治类型",
        "整治时限",
        "整治状态",
    ]
    expected = {
        "QJ01450702GY0000": (
            "钦环审〔2024〕1号（更正）",
            "2024-03-01",
            "钦州市生态环境局",
            "规范整治",
            "2025-12-31",
            "整治中",
        ),
        "QJ01450702GY0001": ("",) * 6,
        "QJ01450702GY0002": ("",) * 6,
        "QJ01450702GY0003": ("", "", "", "依法取缔", "2025-12-31", "已销号"),
        "QJ01450702GY0004": ("",) * 6,
        "QZW450702SH0001": (
            "钦海备〔2023〕7号",
            "2023-11-20",
            "钦州市生态环境局",
            "保留",
            "2025-12-31",
            "保留",
        ),
    }
    text = b"".join(csv_chunks(OutfallFilters())).decode("utf-8-sig")
    assert _four(list(csv.reader(io.StringIO(text)))) == expected
    path = tmp_path / "registry.xlsx"
    write_xlsx(OutfallFilters(), path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert _four([list(r) for r in sheet.iter_rows(values_only=True)]) == expected


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_with_decisions_and_plans_then_import_is_a_no_op(decided, tmp_path, suffix):
    path = tmp_path / f"registry{suffix}"
    _assert_round_trip_is_a_no_op(path)
    # The same file against a registry without those decisions and plans is not a no-op:
    # the import reads the decision and plan columns.
    for table in (RemediationEvent, RemediationMilestone, RemediationPlan, Approval):
        db.session.execute(delete(table))
    db.session.expire_all()
    report = run(path, path.name, apply=False)
    statuses = {o.row: o.status for o in report.outcomes}
    # Sheet rows: 2 … GY0000 (decision and plan), 5 … GY0003 (plan), 7 … SH0001 (both).
    assert [statuses[row] for row in (2, 5, 7)] == ["updated"] * 3
    db.session.rollback()


@pytest.mark.parametrize(
    "filters, codes",
    [
        (OutfallFilters(region="450702"), None),
        (OutfallFilters(region="110101"), []),
        (OutfallFilters(kind="sea"), ["QZW450702SH0001"]),
        (
            OutfallFilters(stage="no_plan"),
            ["QJ01450702GY0001", "QJ01450702GY0002", "QJ01450702GY0004"],
        ),
        (OutfallFilters(remediation="closed"), ["QJ01450702GY0003"]),
        (OutfallFilters(legal="ok"), ["QJ01450702GY0000", "QZW450702SH0001"]),
    ],
)
def test_export_applies_every_list_filter(decided, filters, codes):
    text = b"".join(csv_chunks(filters)).decode("utf-8-sig")
    found = [r[0] for r in list(csv.reader(io.StringIO(text)))[1:]]
    everything = sorted(o.code for o in db.session.scalars(select(Outfall)))
    assert found == (everything if codes is None else codes)


def test_export_keeps_to_code_order_across_batches(registry, monkeypatch):
    monkeypatch.setattr("portal.imports.export.BATCH", 2)
    text = b"".join(csv_chunks(OutfallFilters())).decode("utf-8-sig")
    found = [r[0] for r in list(csv.reader(io.StringIO(text)))[1:]]
    assert found == sorted(o.code for o in db.session.scalars(select(Outfall)))
    assert len(found) == 6


def test_xlsx_export_is_produced_in_chunks(registry, monkeypatch):
    monkeypatch.setattr("portal.imports.export.BATCH", 2)
    chunks = list(xlsx_chunks(OutfallFilters()))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(chunks)))
    assert [c.value for c in book.worksheets[0][1]] == HEADINGS
    assert book.worksheets[0].max_row == 7


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
