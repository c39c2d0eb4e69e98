"""dbtypes.local_iso_text writes in SQL what core.clock.local_iso writes (SQLite, PostgreSQL)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import literal, null, select

from portal.complaints.models import Complaint
from portal.core.clock import local_iso
from portal.dbtypes import UTCDateTime, local_iso_text
from portal.extensions import db
from tests import factories

MOMENTS = [
    datetime(2026, 12, 3, 8, 30, tzinfo=UTC),
    datetime(2026, 12, 3, 16, 30, 5, 999_999, tzinfo=UTC),  # into the next day, cut not rounded
    datetime(2026, 12, 31, 23, 59, 59, 999_600, tzinfo=UTC),  # into the next year
    datetime(2024, 2, 28, 20, 0, 0, 500_000, tzinfo=UTC),  # into a leap day
    datetime(2026, 6, 1, 4, 0, tzinfo=UTC) + timedelta(microseconds=1),
    datetime(2026, 3, 8, 2, 15, 30, tzinfo=datetime.now().astimezone().tzinfo),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_bound_moment_is_written_as_local_iso_writes_it(app_ctx, moment):
    written = db.session.scalar(select(local_iso_text(literal(moment, UTCDateTime()))))
    assert written == local_iso(moment)


def test_null_stays_null(app_ctx):
    assert db.session.scalar(select(local_iso_text(null()))) is None


def test_stored_moments_read_back_as_local_iso_writes_them(app_ctx):
    complaint = factories.complaint(outfall=factories.outfall().code).complaint
    complaint.created_at = MOMENTS[1]
    complaint.paused_at = None
    db.session.flush()
    written, paused = db.session.execute(
        select(local_iso_text(Complaint.created_at), local_iso_text(Complaint.paused_at)).where(
            Complaint.id == complaint.id
        )
    ).one()
    assert written == "2026-12-04T00:30:05+08:00" == local_iso(MOMENTS[1])
    assert paused is None
