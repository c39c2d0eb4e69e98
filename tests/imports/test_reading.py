"""A large file's rows read by a reader process (imports/reading.py) come out as read here:
the same report, the same refusals; a reader that dies fails the import and writes nothing."""

import csv

import pytest
from flask import current_app
from sqlalchemy import func, select

from portal.core.errors import UserError
from portal.extensions import db
from portal.geo.models import WaterBody
from portal.imports import reading
from portal.imports.service import run
from portal.outfalls.models import LedgerEntry, Outfall

from .test_import import HEADER, _row, _sheet


def _by_process(on: bool) -> None:
    current_app.config["IMPORT_READER_MIN_BYTES"] = 0 if on else 1 << 40


def _seen(report):
    return [(o.row, o.status, o.messages, o.changes, o.notes) for o in report.outcomes]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_reader_process_reads_as_this_process_does(place, tmp_path):
    rows = [
        _row(1, water="新河"),
        _row(2, lat="abc"),
        _row(3, region="火星区"),
        _row(1),  # the same code as row 1
        [""] * 10,  # blank: skipped
        _row(4, water="新河", lon="108度37分12秒"),
        _row(5, entity="钦州新公司", credit=""),
    ]
    path = _sheet(tmp_path / "台账.xlsx", rows)
    reports = {}
    for on in (False, True):
        _by_process(on)
        reports[on] = run(path, "台账.xlsx", apply=False, create_waters=True)
        db.session.rollback()
    assert _seen(reports[True]) == _seen(reports[False])
    assert reports[True].header.columns == reports[False].header.columns
    statuses = [o.status for o in reports[True].outcomes]
    assert statuses == ["created", "refused", "refused", "refused", "created", "created"]

    # Applied through the process: the new water is created once, for both its rows.
    _by_process(True)
    fixed = _sheet(tmp_path / "b.xlsx", [r for i, r in enumerate(rows) if i in (0, 5, 6)])
    applied = run(fixed, "b.xlsx", apply=True, create_waters=True)
    db.session.commit()
    assert applied.applied and [o.status for o in applied.outcomes] == ["created"] * 3
    waters = db.session.scalars(select(WaterBody.id).where(WaterBody.name == "新河")).all()
    assert len(waters) == 1
    codes = ["QJ01450702GY0001", "QJ01450702GY0004"]
    assert (
        db.session.scalars(select(Outfall.water_body_id).where(Outfall.code.in_(codes))).all()
        == waters * 2
    )


def test_a_job_reads_twice_through_the_process(place, tmp_path):
    """With a checkpoint (the upload page's job) the file is checked, then its created
    and updated rows are read again and written."""
    _by_process(True)
    path = _sheet(tmp_path / "a.xlsx", [_row(1), _row(2)])
    marks = []
    report = run(path, "a.xlsx", apply=True, checkpoint=lambda row, counts: marks.append(row))
    db.session.commit()
    assert report.applied and [o.status for o in report.outcomes] == ["created", "created"]
    assert marks == [4]  # the title row, the header, then rows 3 and 4
    assert _count(Outfall) == 3


def test_a_file_refused_by_the_reader_process_is_refused_as_here(place, tmp_path):
    page = tmp_path / "导出.xls"
    page.write_text("<html><table><tr><td>排污口编码</td></tr></table></html>")
    noheader = tmp_path / "a.csv"
    noheader.write_text("甲,乙\n1,2\n", encoding="utf-8")
    for path in (page, noheader):
        messages = []
        for on in (False, True):
            _by_process(on)
            with pytest.raises(UserError) as refused:
                run(path, path.name, apply=False)
            assert refused.value.field == "file"
            messages.append(str(refused.value))
        assert messages[0] == messages[1]
    current_app.config["IMPORT_MAX_ROWS"] = 2
    _by_process(True)
    with pytest.raises(UserError, match="2"):
        run(_sheet(tmp_path / "b.xlsx", [_row(1), _row(2), _row(3)]), "b.xlsx", apply=True)
    db.session.rollback()
    assert _count(Outfall) == 1


def test_a_reader_process_that_dies_fails_the_import_and_writes_nothing(
    place, tmp_path, monkeypatch
):
    path = tmp_path / "台账.csv"
    with open(path, "w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(_row(n) for n in range(1, 3001))
    real = reading.ReaderProcess.batches

    def dies_after_the_first(self):
        batches = real(self)
        yield next(batches)
        self._process.kill()
        self._process.wait()
        yield from batches

    monkeypatch.setattr(reading.ReaderProcess, "batches", dies_after_the_first)
    _by_process(True)
    entries = _count(LedgerEntry)
    with pytest.raises(RuntimeError, match="reader process ended"):
        run(path, path.name, apply=True)
    db.session.rollback()
    assert _count(Outfall) == 1 and _count(LedgerEntry) == entries
