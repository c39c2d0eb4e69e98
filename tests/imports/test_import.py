"""The import end to end on SQLite and PostgreSQL: dry run, apply, idempotence, refusals
row by row, and a failed commit that leaves the registry as it was."""

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.geo.models import WaterBody
from portal.imports.service import run
from portal.outfalls.models import LedgerEntry, Outfall
from tests import factories as f

HEADER = [
    "排污口编码",
    "排污口名称",
    "排污口类型",
    "经度",
    "纬度",
    "所在行政区",
    "受纳水体",
    "责任主体",
    "统一社会信用代码",
    "标识牌设立日期",
]


def _sheet(path, rows, title=True):
    wb = openpyxl.Workbook()
    if title:
        wb.active.append(["钦南区入河排污口排查台账"])
    wb.active.append(HEADER)
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def _row(n, **kw):
    values = {
        "code": f"qj01-450702-gy{n:04d}",
        "name": f"钦南区测试企业{n}#工矿企业排污口",
        "type": "工业排污口",
        "lon": "108°37′12″",
        "lat": 21.95,
        "region": "钦南区",
        "water": "钦江",
        "entity": f"钦州测试公司{n}",
        "credit": f.credit_code(900 + n),
        "date": "2023年5月1日",
    }
    values |= kw
    return list(values.values())


def _outfalls() -> int:
    return db.session.scalar(select(func.count()).select_from(Outfall))


def test_dry_run_reports_each_row_and_changes_nothing(place, tmp_path):
    path = _sheet(tmp_path / "台账.xlsx", [_row(1), _row(2, lat="abc"), _row(1)])
    before = _outfalls()
    report = run(path, "台账.xlsx", apply=False)
    db.session.rollback()
    assert [o.status for o in report.outcomes] == ["created", "refused", "refused"]
    assert report.outcomes[1].messages[0][0].startswith("E")  # the latitude's cell
    assert "第 3 行" in report.outcomes[2].messages[0][1]
    kinds = {note.kind for _key, note in report.outcomes[0].notes}
    assert {"code", "dms", "date"} <= kinds
    assert _outfalls() == before


def test_apply_then_the_same_file_again_changes_nothing(place, tmp_path):
    path = _sheet(tmp_path / "台账.xlsx", [_row(1), _row(2)])
    report = run(path, "台账.xlsx", apply=True)
    db.session.commit()
    assert [o.status for o in report.outcomes] == ["created", "created"]
    made = db.session.scalars(select(Outfall).where(Outfall.code == "QJ01450702GY0001")).one()
    assert (
        made.lon == pytest.approx(108.62)
        and made.signboard_installed_on.isoformat() == "2023-05-01"
    )
    assert made.primary_entity.name == "钦州测试公司1"
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.outfall_id == made.id)).all()
    assert entries and all(e.source == "import" and e.reason == "台账.xlsx" for e in entries)
    count = db.session.scalar(select(func.count()).select_from(LedgerEntry))

    again = run(path, "台账.xlsx", apply=True)
    db.session.commit()
    assert [o.status for o in again.outcomes] == ["unchanged", "unchanged"]
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == count

    changed = _sheet(tmp_path / "b.xlsx", [_row(1, name="新名称排污口"), _row(2)])
    third = run(changed, "b.xlsx", apply=False)
    assert third.outcomes[0].status == "updated"
    assert {c["field"] for c in third.outcomes[0].changes} == {"name"}


def test_unknown_region_is_refused_and_unknown_water_created_only_when_asked(place, tmp_path):
    path = _sheet(tmp_path / "a.xlsx", [_row(1, region="火星区"), _row(2, water="新河")])
    report = run(path, "a.xlsx", apply=False)
    assert [o.status for o in report.outcomes] == ["refused", "refused"]
    assert "火星区" in report.outcomes[0].messages[0][1]
    assert "新河" in report.outcomes[1].messages[0][1]
    db.session.rollback()
    # Asked to create waters, the dry run accepts row 2; row 1 still refused: the apply
    # writes nothing of the file (not even the new water).
    refused = run(path, "a.xlsx", apply=True, create_waters=True)
    assert [o.status for o in refused.outcomes] == ["refused", "created"]
    assert not refused.applied
    assert db.session.scalar(select(WaterBody).where(WaterBody.name == "新河")) is None
    fixed = _sheet(tmp_path / "b.xlsx", [_row(1), _row(2, water="新河")])
    applied = run(fixed, "b.xlsx", apply=True, create_waters=True)
    assert [o.status for o in applied.outcomes] == ["created", "created"] and applied.applied
    db.session.commit()
    water = db.session.scalar(select(WaterBody).where(WaterBody.name == "新河"))
    made = db.session.scalar(select(Outfall).where(Outfall.code == "QJ01450702GY0002"))
    assert made.water_body_id == water.id


def test_gcj02_sheet_and_swapped_columns(place, tmp_path):
    import prcoords

    gcj = prcoords.wgs_gcj(prcoords.Coords(21.95, 108.62))
    path = _sheet(tmp_path / "a.xlsx", [_row(1, lon=gcj.lat, lat=gcj.lon)])
    report = run(path, "a.xlsx", apply=True, crs="gcj02")
    db.session.commit()
    kinds = {note.kind for _key, note in report.outcomes[0].notes}
    assert {"swapped", "gcj02"} <= kinds
    made = db.session.scalars(select(Outfall).where(Outfall.code == "QJ01450702GY0001")).one()
    assert made.lat == pytest.approx(21.95, abs=1e-5) and made.lon == pytest.approx(
        108.62, abs=1e-5
    )


def test_a_failed_commit_leaves_the_registry_as_it_was(place, tmp_path):
    from sqlalchemy import event

    path = _sheet(tmp_path / "a.xlsx", [_row(1), _row(2), _row(3)])
    before = _outfalls(), db.session.scalar(select(func.count()).select_from(LedgerEntry))
    run(path, "a.xlsx", apply=True)
    session = db.session()

    def fail(_session):
        raise RuntimeError("the disk is full")

    # The real commit fails half-way (as a crash would): nothing of the file stays.
    event.listen(session, "before_commit", fail)
    with pytest.raises(RuntimeError):
        db.session.commit()
    event.remove(session, "before_commit", fail)
    db.session.rollback()
    after = _outfalls(), db.session.scalar(select(func.count()).select_from(LedgerEntry))
    assert after == before


def test_cli_dry_run_and_apply(place, tmp_path, app):
    path = _sheet(tmp_path / "a.xlsx", [_row(1), _row(2)])
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["portal", "import-inventory", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "created=2" in dry.output and "nothing changed" in dry.output
    db.session.remove()
    assert _outfalls() == 1
    done = runner.invoke(args=["portal", "import-inventory", str(path)])
    assert done.exit_code == 0, done.output
    db.session.remove()
    assert _outfalls() == 3
    bad = _sheet(tmp_path / "b.xlsx", [_row(3), _row(4, region="火星区")])
    refused = runner.invoke(args=["portal", "import-inventory", str(bad)])
    assert refused.exit_code == 1 and "F4" in refused.output and "火星区" in refused.output
    db.session.remove()
    assert _outfalls() == 3


def test_sheet_without_header_is_refused(place, tmp_path):
    from portal.core.errors import UserError

    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    wb.active.append([1, 2])
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(UserError):
        run(tmp_path / "x.xlsx", "x.xlsx", apply=False)


def test_text_named_as_a_spreadsheet_says_so(place, tmp_path):
    from flask_babel import force_locale

    from portal.core.errors import UserError

    path = tmp_path / "台账.xlsx"
    path.write_text("这是一份说明文字\n不是表格\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        run(path, "台账.xlsx", apply=False)
    with force_locale("zh"):
        assert "台账.xlsx" in str(info.value) and "纯文本" in str(info.value)
    with force_locale("en"):
        assert "plain text" in str(info.value)
    # The same text named .csv is read as a CSV: it has no header.
    with pytest.raises(UserError) as info:
        run(path, "台账.csv", apply=False)
    with force_locale("en"):
        assert "No header found" in str(info.value)


def test_the_report_names_changes_by_the_sheet_headings_and_values(place, tmp_path):
    from flask_babel import force_locale

    from portal.imports.report import Wording, message

    path = _sheet(tmp_path / "a.xlsx", [_row(1)])
    run(path, "a.xlsx", apply=True)
    db.session.commit()
    f.water_body(name="茅岭江", code="ML01")
    db.session.commit()
    changed = _sheet(tmp_path / "b.xlsx", [_row(1, name="新名称排污口", water="茅岭江")])
    report = run(changed, "b.xlsx", apply=False)
    assert report.outcomes[0].status == "updated"
    with force_locale("zh"):
        text = message(report.outcomes[0], Wording(report.header))
    assert "排污口名称: 钦南区测试企业1#工矿企业排污口 → 新名称排污口" in text
    assert "受纳水体: 钦江 → 茅岭江" in text
    assert "water_body" not in text and "'id'" not in text


def test_report_returns_the_sheet_with_status_and_message(place, tmp_path, app):
    path = _sheet(tmp_path / "a.xlsx", [_row(1), _row(2, region="火星区")])
    out = tmp_path / "report.xlsx"
    result = app.test_cli_runner().invoke(
        args=["portal", "import-inventory", str(path), "--dry-run", "--report", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0] == "钦南区入河排污口排查台账"
    assert rows[1][-2:] == ("状态", "说明")
    assert rows[2][-2] == "新建" and "度分秒已转换" in rows[2][-1]
    assert rows[3][-2] == "未导入" and rows[3][-1].startswith("F4")


def test_a_water_named_against_its_code_is_refused_and_an_unknown_name_noted(place, tmp_path):
    f.water_body(name="茅岭江", code="ML01")
    db.session.commit()
    wb = openpyxl.Workbook()
    wb.active.append([*HEADER, "受纳水体编码"])
    wb.active.append([*_row(1, water="茅岭江"), "QJ01"])  # another known water than its code
    wb.active.append([*_row(2, water="钦江钦南段"), "QJ01"])  # unknown name: the code decides
    wb.active.append([*_row(3, water="钦江"), "QJ01"])
    path = tmp_path / "w.xlsx"
    wb.save(path)
    report = run(path, "w.xlsx", apply=False)
    assert [o.status for o in report.outcomes] == ["refused", "created", "created"]
    # The report is written in the language of the import (the default here: Chinese).
    assert report.outcomes[0].messages == [
        ("G2", "茅岭江 不是编码为 QJ01 的水体（该编码对应 钦江）：请更正水体名称或编码。")
    ]
    notes = [note for key, note in report.outcomes[1].notes if key == "water_body"]
    assert [(n.kind, n.old, n.new) for n in notes] == [("water_by_code", "钦江钦南段", "钦江")]


def test_rows_naming_one_new_water_create_it_once(place, tmp_path):
    rows = [_row(1, water="新河"), _row(2), _row(3, water="新河")]
    path = _sheet(tmp_path / "a.xlsx", rows)
    report = run(path, "a.xlsx", apply=True, create_waters=True)
    assert [o.status for o in report.outcomes] == ["created"] * 3 and report.applied
    db.session.commit()
    waters = db.session.scalars(select(WaterBody).where(WaterBody.name == "新河")).all()
    assert len(waters) == 1
    codes = ["QJ01450702GY0001", "QJ01450702GY0003"]
    made = db.session.scalars(select(Outfall.water_body_id).where(Outfall.code.in_(codes))).all()
    assert made == [waters[0].id] * 2
