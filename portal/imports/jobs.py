"""Running an import job outside the request: a thread the upload starts (or the caller,
when IMPORT_BACKGROUND is off), its state in `import_jobs` for every worker to read."""

import os
import threading
from pathlib import Path

from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import update

from ..agencies.models import StaffMember
from ..core.bulk import bulk_write
from ..core.clock import utcnow
from ..core.errors import UserError
from ..extensions import db
from .models import ImportJob
from .report import STATUS, Wording, message


def upload_dir() -> Path:
    path = Path(current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path) / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def start(app: Flask, job_id: int) -> threading.Thread | None:
    """Run the job in a thread (IMPORT_BACKGROUND) or now; returns the thread if any."""
    if not app.config["IMPORT_BACKGROUND"]:
        run_job(app, job_id)
        return None
    thread = threading.Thread(target=run_job, args=(app, job_id), daemon=True)
    thread.start()
    return thread


def _progress(job_id: int):
    def progress(done: int, total: int | None) -> None:
        # Committed with the batch just written, if any (see _checkpoint): what the page
        # shows is what is in the registry, on SQLite (one writer) as on PostgreSQL.
        db.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(processed=done, total=total, heartbeat_at=utcnow())
        )
        db.session.commit()

    return progress


def _checkpoint(job_id: int, earlier: dict[str, int]):
    def checkpoint(last_row: int, written: dict[str, int]) -> None:
        # In the batch's own transaction (progress commits right after).
        db.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(
                applied_rows=last_row,
                applied_counts={k: earlier.get(k, 0) + v for k, v in written.items()},
            )
        )

    return checkpoint


def run_job(app: Flask, job_id: int) -> None:
    """Check (and, for an apply job, write) the job's file; record the outcome.

    An apply job run again after a crash resumes it: the rows its earlier run applied are
    unchanged now, and the counts add up as if it had run once."""
    with app.app_context():
        locale = db.session.get(ImportJob, job_id).locale
        with force_locale(locale):
            _run_job(job_id)


def _run_job(job_id: int) -> None:
    from .service import run

    job = db.session.get(ImportJob, job_id)
    job.state, job.heartbeat_at, job.error = "running", utcnow(), ""
    earlier = dict(job.applied_counts or {})
    resumed_after = job.applied_rows
    db.session.commit()
    actor = db.session.get(StaffMember, job.staff_id)
    path = upload_dir() / job.stored_name
    try:
        # The progress rollup is recomputed once, at the commit after the last batch.
        with bulk_write(db.session):
            report = run(
                path,
                job.filename,
                apply=job.apply,
                actor=actor,
                crs=job.crs,
                create_waters=job.create_waters,
                progress=_progress(job_id),
                checkpoint=_checkpoint(job_id, earlier),
            )
        counts = {s: report.count(s) for s in STATUS}
        job = db.session.get(ImportJob, job_id)
        if job.apply and counts["refused"]:
            job.error = "refused"
        elif job.apply and earlier:
            # What the interrupted run wrote reads as unchanged now.
            for key in ("created", "updated"):
                counts[key] += earlier.get(key, 0)
                counts["unchanged"] -= earlier.get(key, 0)
            counts["resumed_after"] = resumed_after
        job.counts = counts
        wording = Wording(report.header)
        job.results = [[o.row, o.status, message(o, wording)] for o in report.outcomes]
        job.processed = job.total = len(report.outcomes)
        job.state, job.finished_at = "done", utcnow()
        db.session.commit()
    except UserError as exc:
        db.session.rollback()
        _fail(job_id, str(exc))
    except Exception as exc:
        db.session.rollback()
        _fail(job_id, f"{type(exc).__name__}")
        current_app.logger.exception("import job %s failed", job_id)


def resumable(job: ImportJob) -> bool:
    """An apply job that stopped before the end (failed, or its worker died)."""
    return job.apply and (job.state == "failed" or interrupted(job))


def _fail(job_id: int, text: str) -> None:
    job = db.session.get(ImportJob, job_id)
    job.state, job.error, job.finished_at = "failed", text, utcnow()
    db.session.commit()


def interrupted(job: ImportJob) -> bool:
    """A running job whose worker stopped (`applied_rows` says how far it got)."""
    if job.state not in ("queued", "running") or job.heartbeat_at is None:
        return False
    age = (utcnow() - job.heartbeat_at).total_seconds()
    return age > current_app.config["IMPORT_STALE_SECONDS"]


def save_upload(stream, filename: str) -> str:
    """Store the uploaded file under a random name; returns it."""
    name = os.urandom(16).hex() + Path(filename).suffix.lower()[:8]
    stream.save(upload_dir() / name)
    return name
