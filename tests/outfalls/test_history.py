"""The registry's history: field-by-field diffs, hash chains, public view, verification."""

from datetime import date

from sqlalchemy import update

from portal.agencies.models import Role
from portal.extensions import db
from portal.outfalls import history
from portal.outfalls.models import LedgerEntry, WaterKind
from tests import factories as f
from tests.staff import staff_member


def test_diff_lists_changed_fields_only_and_marks_public_ones():
    before = {"name": "甲", "lat": 21.9, "address": "x", "phone": "1"}
    after = {"name": "乙", "lat": 21.9, "address": "y", "phone": "2"}
    changes = history.diff(before, after, public={"name", "address"})
    assert changes == [
        {"field": "name", "old": "甲", "new": "乙", "public": True},
        {"field": "address", "old": "x", "new": "y", "public": True},
        {"field": "phone", "old": "1", "new": "2", "public": False},
    ]


def test_plain_values_are_json_safe():
    assert history.plain(date(2026, 5, 1)) == "2026-05-01"
    assert history.plain(WaterKind.sea) == "sea"
    assert history.plain({"a": (date(2026, 1, 2),)}) == {"a": ["2026-01-02"]}


def _entry(outfall, actor, **kw):
    return history.record(
        chain=history.outfall_chain(outfall.id),
        subject_kind="outfall",
        subject_id=outfall.id,
        outfall_id=outfall.id,
        action=kw.pop("action", "updated"),
        changes=kw.pop("changes"),
        reason=kw.pop("reason", "survey correction"),
        actor=actor,
    )


def test_entries_chain_and_verify_finds_tampering(app_ctx):
    outfall = f.outfall()
    actor = staff_member(Role.data_officer)
    first = _entry(
        outfall, actor, changes=history.diff({"name": "a"}, {"name": "b"}, public={"name"})
    )
    second = _entry(
        outfall, actor, changes=history.diff({"name": "b"}, {"name": "c"}, public={"name"})
    )
    db.session.commit()
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert second.department_id == actor.department_id
    first_id, chain = first.id, history.outfall_chain(outfall.id)
    assert history.verify_ledger() is None

    db.session.execute(
        update(LedgerEntry).where(LedgerEntry.id == first_id).values(reason="edited afterwards")
    )
    db.session.commit()
    assert history.verify_ledger() == (chain, 1)


def test_public_history_hides_internal_fields_and_staff(app_ctx):
    outfall = f.outfall()
    actor = staff_member(Role.staff)
    _entry(outfall, actor, changes=history.diff({"phone": "1"}, {"phone": "2"}, public=set()))
    _entry(
        outfall,
        actor,
        changes=history.diff(
            {"name": "a", "phone": "2"}, {"name": "b", "phone": "3"}, public={"name"}
        ),
    )
    db.session.commit()
    shown = history.public_history(outfall.id)
    assert len(shown) == 1  # the all-internal entry is left out
    assert shown[0].changes == [{"field": "name", "old": "a", "new": "b", "public": True}]
    assert shown[0].department.id == actor.department_id
    assert not hasattr(shown[0], "staff_id")
    assert history.last_updated([outfall.id]) == {outfall.id: shown[0].created_at}


def test_verify_command_reports_intact_history(runner, seed):
    seed(lambda: _entry(f.outfall(), staff_member(Role.coordinator), changes=[]))
    result = runner.invoke(args=["portal", "ledger", "verify"])
    assert result.exit_code == 0
    assert "intact" in result.output
