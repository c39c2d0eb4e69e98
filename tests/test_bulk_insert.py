"""core.bulk.insert_rows writes what the usual Core executemany writes (SQLite, PostgreSQL)."""

from datetime import UTC, date, datetime

from sqlalchemy import insert, select

from portal.core.bulk import insert_rows
from portal.extensions import db
from portal.outfalls.models import (
    LedgerEntry,
    RemediationCategory,
    RemediationPlan,
    RemediationStatus,
)
from tests import factories


def _plans(outfall_ids):
    return [
        {
            "outfall_id": oid,
            "category": RemediationCategory.regularise,
            "status": RemediationStatus.plan_approved,
            "measures": "截污纳管" if n else "",
            "deadline": date(2027, 12, 31) if n else None,
            "transition_until": None,
            "transition_reason": "",
            "responsible_department_id": None,
        }
        for n, oid in enumerate(outfall_ids)
    ]


def _read(table, columns, where):
    statement = select(*columns).where(where).order_by(table.c.id)
    return [tuple(r) for r in db.session.execute(statement)]


def test_rows_read_back_as_the_usual_insert_writes_them(app_ctx):
    outfalls = [factories.outfall() for _ in range(4)]
    db.session.flush()
    ids = [o.id for o in outfalls]
    table = RemediationPlan.__table__
    db.session.execute(insert(table), _plans(ids[:2]))
    insert_rows(db.session, table, _plans(ids[2:]))
    columns = [table.c[k] for k in _plans([0])[0] if k != "outfall_id"]
    usual = _read(table, columns, table.c.outfall_id.in_(ids[:2]))
    ours = _read(table, columns, table.c.outfall_id.in_(ids[2:]))
    assert ours == usual
    assert ours[1][0] is RemediationCategory.regularise and ours[1][3] == date(2027, 12, 31)


def test_history_entries_keep_their_json_and_moments(app_ctx):
    from portal.outfalls.history import _raw_entries

    at = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
    row = {
        "chain": "test:1",
        "seq": 1,
        "subject_kind": "outfall",
        "subject_id": 1,
        "outfall_id": None,
        "action": "created",
        "changes": '[{"field":"name","new":"钦江\\"1\\"","old":null,"public":true}]',
        "reason": "台账.xlsx",
        "source": "import",
        "department_id": None,
        "staff_id": None,
        "created_at": at,
        "prev_hash": "",
        "hash": "0" * 64,
    }
    insert_rows(db.session, _raw_entries(), [row])
    entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.chain == "test:1")).one()
    assert entry.changes == [{"field": "name", "new": '钦江"1"', "old": None, "public": True}]
    assert entry.created_at == at and entry.reason == "台账.xlsx"
