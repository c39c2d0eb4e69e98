"""Synthetic complaints for benchmarks: Core bulk inserts, spread over departments and states."""

import hashlib
import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from ..agencies.models import Department
from ..complaints.models import (
    OPEN_STATUSES,
    Channel,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    map_cells,
)
from ..core.clock import utcnow
from ..outfalls.models import Outfall

CHUNK = 10_000
# Roughly how a year's caseload sits: most closed, a working set open.
STATUS_WEIGHTS = {
    ComplaintStatus.closed: 55,
    ComplaintStatus.resolved: 8,
    ComplaintStatus.rejected: 5,
    ComplaintStatus.merged: 2,
    ComplaintStatus.submitted: 6,
    ComplaintStatus.accepted: 6,
    ComplaintStatus.in_progress: 12,
    ComplaintStatus.awaiting_reporter: 2,
    ComplaintStatus.transferred: 2,
    ComplaintStatus.reopened: 2,
}
# Most reports come by phone (12369) and the web; the rest by the other channels.
CHANNEL_WEIGHTS = {
    Channel.phone_12369: 45,
    Channel.web: 35,
    Channel.hotline_12345: 10,
    Channel.wechat: 5,
    Channel.letter: 3,
    Channel.in_person: 2,
}
DONE = (ComplaintStatus.resolved, ComplaintStatus.closed)


def generate_synthetic_complaints(session, count: int, seed: int = 7) -> int:
    """Add `count` complaints (no photos, no events) over the last two years; return count."""
    rng = random.Random(seed)
    departments = list(session.scalars(select(Department.id)))
    categories = list(session.scalars(select(ComplaintCategory.id)))
    outfalls = list(
        session.execute(
            select(
                Outfall.id, Outfall.region_id, Outfall.water_body_id, Outfall.lat, Outfall.lon
            ).limit(20_000)
        )
    )
    if not departments or not categories or not outfalls:
        raise RuntimeError("load the demo data first (flask portal demo)")
    start = (session.scalar(select(func.max(Complaint.id))) or 0) + 1
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    channels, channel_weights = zip(*CHANNEL_WEIGHTS.items(), strict=True)
    now = utcnow()
    for first in range(start, start + count, CHUNK):
        rows = []
        for n in range(first, min(first + CHUNK, start + count)):
            outfall_id, region_id, water_body_id, lat, lon = rng.choice(outfalls)
            created = now - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
            status = rng.choices(statuses, weights)[0]
            complete_due = created + timedelta(days=21)
            cells = map_cells(lat, lon) if lat is not None else (None, None)
            channel = rng.choices(channels, channel_weights)[0]
            resolved = (
                min(created + timedelta(hours=rng.randrange(24, 40 * 24)), now)
                if status in DONE
                else None
            )
            token_hash = hashlib.sha256(f"synthetic-{n}".encode()).hexdigest()
            rows.append(
                {
                    "id": n,
                    "tracking_no": f"TS-{created.year}-{n:06d}"[:20],
                    "token_nonce": token_hash[:32],
                    "token_hash": token_hash,
                    "category_id": rng.choice(categories),
                    "description": "合成数据（基准测试）",
                    "outfall_id": outfall_id,
                    "region_id": region_id,
                    "water_body_id": water_body_id,
                    "lat": lat,
                    "lon": lon,
                    **dict(zip(("cell_1", "cell_01"), cells, strict=True)),
                    "location_source": "outfall",
                    "status": status.value,
                    "is_open": status in OPEN_STATUSES,
                    "channel": channel.value,
                    "hotline_order_no": f"QZ{n:08d}" if channel is Channel.hotline_12345 else "",
                    "consent_publish": False,
                    "supporters": 0,
                    "created_at": created,
                    "updated_at": created,
                    "department_id": rng.choice(departments) if rng.random() > 0.02 else None,
                    "urgent": False,
                    "accept_due_at": created + timedelta(days=3),
                    "complete_due_at": complete_due,
                    "accepted_at": created + timedelta(days=1)
                    if status not in (ComplaintStatus.submitted, ComplaintStatus.transferred)
                    else None,
                    "resolved_at": resolved,
                    "closed_at": resolved + timedelta(days=7)
                    if status is ComplaintStatus.closed
                    else None,
                    "rating": rng.choice((None, 3, 4, 5, 5, 2))
                    if status is ComplaintStatus.closed
                    else None,
                    "extension_days": 10 if rng.random() < 0.05 else 0,
                    "extension_reason": "",
                    "rating_comment": "",
                }
            )
        session.execute(insert(Complaint.__table__), rows)
    return count
