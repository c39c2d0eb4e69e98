"""Running an import job outside the request: a thread the upload starts (or the caller,
when IMPORT_BACKGROUND is off), its state in `import_jobs` for every worker to read."""

import os
import threading
from pathlib import Path

from flask import Flask, current_app

from ..agencies.models import StaffMember
from ..core.clock import utcnow
from ..core.errors import UserError
from ..extensions import db
from .models import ImportJob
from .report import STATUS, message


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
        # Progress is committed only while nothing of the file is written yet (dry run, or
        # apply on PostgreSQL through its own connection); SQLite has one writer.
        if current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(
                    ImportJob.__table__.update()
                    .where(ImportJob.id == job_id)
                    .values(processed=done, total=total, heartbeat_at=utcnow())
                )

    return progress


def run_job(app: Flask, job_id: int) -> None:
    """Check (and, for an apply job, write) the job's file; record the outcome."""
    from .service import run

    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.state, job.heartbeat_at = "running", utcnow()
        db.session.commit()
        actor = db.session.get(StaffMember, job.staff_id)
        path = upload_dir() / job.stored_name
        try:
            report = run(
                path,
                job.filename,
                apply=job.apply,
                actor=actor,
                crs=job.crs,
                create_waters=job.create_waters,
                progress=_progress(job_id),
            )
            counts = {s: report.count(s) for s in STATUS}
            if job.apply and counts["refused"]:
                db.session.rollback()
                job = db.session.get(ImportJob, job_id)
                job.error = "refused"
            job.counts = counts
            job.results = [[o.row, o.status, message(o)] for o in report.outcomes]
            job.processed = job.total = len(report.outcomes)
            job.state, job.finished_at = "done", utcnow()
            # The rows and the job's "done" commit together: all or nothing.
            db.session.commit()
        except UserError as exc:
            db.session.rollback()
            _fail(job_id, str(exc))
        except Exception as exc:
            db.session.rollback()
            _fail(job_id, f"{type(exc).__name__}")
            current_app.logger.exception("import job %s failed", job_id)


def _fail(job_id: int, text: str) -> None:
    job = db.session.get(ImportJob, job_id)
    job.state, job.error, job.finished_at = "failed", text, utcnow()
    db.session.commit()


def interrupted(job: ImportJob) -> bool:
    """A running job whose worker stopped (nothing of it was applied)."""
    if job.state not in ("queued", "running") or job.heartbeat_at is None:
        return False
    age = (utcnow() - job.heartbeat_at).total_seconds()
    return age > current_app.config["IMPORT_STALE_SECONDS"]


def save_upload(stream, filename: str) -> str:
    """Store the uploaded file under a random name; returns it."""
    name = os.urandom(16).hex() + Path(filename).suffix.lower()[:8]
    stream.save(upload_dir() / name)
    return name
