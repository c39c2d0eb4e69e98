"""An import job: the state of one upload that any worker can read (progress, outcome)."""

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..dbtypes import UTCDateTime
from ..extensions import db


class ImportJob(db.Model):
    """One dry run or apply of an uploaded inventory file.

    state: queued → running → done | failed. An apply checks every row first (nothing is
    written if one is refused), then writes batch by batch, each batch committed with
    `applied_rows` (the last sheet row written) and `applied_counts` (created / updated so
    far): a crash or kill leaves `running` (or `failed`) saying exactly how far it got,
    which `heartbeat_at` older than IMPORT_STALE_SECONDS shows as interrupted; running the
    job again resumes it (the rows already applied come out unchanged).
    """

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_staff_created", "staff_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80))
    apply: Mapped[bool] = mapped_column(default=False)
    crs: Mapped[str] = mapped_column(String(10), default="wgs84")
    create_waters: Mapped[bool] = mapped_column(default=False)
    # The language its report is written in: the one it was started in (it runs outside
    # the request).
    locale: Mapped[str] = mapped_column(String(8), default="zh", server_default="zh")
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    processed: Mapped[int] = mapped_column(default=0)
    total: Mapped[Optional[int]] = mapped_column()
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # One item per data row: [row, status, message] (the page shows them, the report too).
    results: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    applied_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    applied_counts: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
