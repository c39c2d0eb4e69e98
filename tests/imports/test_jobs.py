"""An apply job commits batch by batch with its progress: a crash half-way leaves the job
saying how far it got, and running it again finishes it as if it had run once."""

import pytest
from sqlalchemy import event, func, select

from portal.agencies.models import Role
from portal.extensions import db
from portal.imports import jobs, service
from portal.imports.models import ImportJob
from portal.outfalls.history import verify_ledger
from portal.outfalls.models import Entity, LedgerEntry, Outfall, OutfallResponsibility
from tests import factories as f
from tests.imports.test_import import _row, _sheet
from tests.staff import staff_member

ROWS = 7


@pytest.fixture
def officer(app_ctx, app, tmp_path, monkeypatch):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    monkeypatch.setattr(service, "CHUNK", 2)  # 7 rows: 4 batches
    f.region(code="450702", name="钦南区")
    f.water_body(name="钦江", code="QJ01")
    user = staff_member(Role.data_officer)
    db.session.commit()
    return user.id


def _job(staff_id, tmp_path, apply=True) -> int:
    path = _sheet(tmp_path / "upload.xlsx", [_row(n) for n in range(1, ROWS + 1)])
    stored = jobs.upload_dir() / "stored.xlsx"
    stored.write_bytes(path.read_bytes())
    job = ImportJob(
        staff_id=staff_id, filename="台账.xlsx", stored_name=stored.name, apply=apply, crs="wgs84"
    )
    db.session.add(job)
    db.session.commit()
    return job.id


def _registry():
    """What the import made, comparable across databases (no ids, no times)."""
    outfalls = db.session.execute(
        select(Outfall.code, Outfall.name, Outfall.lat, Outfall.lon, Outfall.version).order_by(
            Outfall.code
        )
    ).all()
    entities = db.session.scalars(select(Entity.name).order_by(Entity.name)).all()
    entries = db.session.execute(
        select(LedgerEntry.chain, LedgerEntry.seq, LedgerEntry.action).order_by(
            LedgerEntry.chain, LedgerEntry.seq
        )
    ).all()
    return outfalls, entities, len(entries)


class _FailAt:
    """Fail the session's n-th commit (as a crash would)."""

    def __init__(self, n):
        self.n, self.seen = n, 0

    def __call__(self, _session):
        self.seen += 1
        if self.seen == self.n:
            raise RuntimeError("the disk is full")


def test_a_crash_mid_apply_says_how_far_it_got_and_a_resume_finishes_it(officer, app, tmp_path):
    job_id = _job(officer, tmp_path)
    # Commits of the job: "running", 4 batches of the check, then each written batch.
    fail = _FailAt(1 + 4 + 2)  # the second written batch fails
    # Every session of the app (the job runs in an app context of its own).
    event.listen(db.session, "before_commit", fail)
    try:
        jobs.run_job(app, job_id)
    finally:
        event.remove(db.session, "before_commit", fail)
    db.session.remove()
    job = db.session.get(ImportJob, job_id)
    assert job.state == "failed" and job.error == "RuntimeError"
    # The first batch (rows 3 and 4 of the sheet: a title row, the header) is applied.
    assert job.applied_rows == 4 and job.applied_counts == {"created": 2, "updated": 0}
    assert db.session.scalar(select(func.count()).select_from(Outfall)) == 2
    assert jobs.resumable(job)
    assert verify_ledger() is None

    jobs.run_job(app, job_id)
    db.session.remove()
    job = db.session.get(ImportJob, job_id)
    assert job.state == "done" and not job.error
    assert job.counts["created"] == ROWS and job.counts["unchanged"] == 0
    assert job.counts["resumed_after"] == 4
    assert verify_ledger() is None
    resumed = _registry()

    # The same file in one uninterrupted run, on a clean registry, makes the same records.
    db.session.execute(LedgerEntry.__table__.delete())
    db.session.execute(OutfallResponsibility.__table__.delete())
    db.session.execute(Outfall.__table__.delete())
    db.session.execute(Entity.__table__.delete())
    db.session.commit()
    again = _job(officer, tmp_path)
    jobs.run_job(app, again)
    db.session.remove()
    assert db.session.get(ImportJob, again).counts["created"] == ROWS
    assert _registry() == resumed


def test_progress_is_committed_with_each_batch(officer, app, tmp_path, monkeypatch):
    """Another connection sees the job's progress while the apply runs (SQLite included)."""
    job_id = _job(officer, tmp_path)
    seen = []
    real = jobs._checkpoint

    def spy(job_id_, earlier):
        inner = real(job_id_, earlier)

        def checkpoint(last_row, written):
            inner(last_row, written)
            seen.append(last_row)

        return checkpoint

    observed = []

    def after_commit(_session):
        with db.engine.connect() as other:
            observed.append(
                other.execute(
                    select(ImportJob.processed, ImportJob.applied_rows).where(
                        ImportJob.id == job_id
                    )
                ).one()
            )

    monkeypatch.setattr(jobs, "_checkpoint", spy)
    event.listen(db.session, "after_commit", after_commit)
    try:
        jobs.run_job(app, job_id)
    finally:
        event.remove(db.session, "after_commit", after_commit)
    assert seen == [4, 6, 8, 9]
    applied = [row for row in observed if row.applied_rows]
    # Each written batch was visible, with its rows counted, before the next one began.
    assert [row.applied_rows for row in applied][:4] == [4, 6, 8, 9]
    assert [row.processed for row in applied][:4] == [ROWS + 2, ROWS + 4, ROWS + 6, ROWS + 7]


def test_the_progress_rollup_counts_the_imported_outfalls_once_at_the_end(officer, app, tmp_path):
    """Core inserts are invisible to the ORM: the import notes their regions, and inside the
    job's bulk write the rollup is recomputed once, after the last batch, not per batch."""
    from portal.remediation.models import ProgressCell

    job_id = _job(officer, tmp_path)
    refreshes = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("DELETE FROM REMEDIATION_PROGRESS "):
            refreshes.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        jobs.run_job(app, job_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert db.session.get(ImportJob, job_id).state == "done"
    assert len(refreshes) == 1  # 4 batches, one recomputation
    counted = db.session.scalar(select(func.sum(ProgressCell.n)))
    assert counted == db.session.scalar(select(func.count()).select_from(Outfall)) == ROWS


@pytest.mark.parametrize(
    ("locale", "note"), [("en", "degrees-minutes-seconds converted"), ("zh", "度分秒已转换")]
)
def test_a_job_reports_in_the_language_it_was_started_in(app, officer, tmp_path, locale, note):
    job_id = _job(officer, tmp_path, apply=False)
    db.session.get(ImportJob, job_id).locale = locale
    db.session.commit()
    jobs.run_job(app, job_id)  # as its worker thread does: outside any request
    db.session.expire_all()
    results = db.session.get(ImportJob, job_id).results
    assert len(results) == ROWS and all(note in message for _row, _s, message in results)
