"""Audit verification (`flask portal audit verify`): every case's event chain still holds."""

from sqlalchemy import and_, or_, select

from ..complaints.events import event_fields
from ..complaints.models import Complaint, ComplaintEvent
from ..core.hashchain import chain_hash
from ..extensions import db


def verify_audit(batch: int = 5000) -> tuple[str | None, int] | None:
    """The first event whose chain is broken, as (tracking number, seq); None if all hold.

    Walks each case's events in order (keyset pages, constant memory): every event must
    follow the previous one's hash, carry the next sequence number, and hash to itself.
    """
    after = (0, 0)
    case_id, prev_hash, prev_seq = None, "", 0
    while True:
        events = db.session.scalars(
            select(ComplaintEvent)
            .where(
                or_(
                    ComplaintEvent.complaint_id > after[0],
                    and_(ComplaintEvent.complaint_id == after[0], ComplaintEvent.seq > after[1]),
                )
            )
            .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
            .limit(batch)
        ).all()
        if not events:
            return None
        for event in events:
            if event.complaint_id != case_id:
                case_id, prev_hash, prev_seq = event.complaint_id, "", 0
            broken = (
                event.seq != prev_seq + 1
                or event.prev_hash != prev_hash
                or chain_hash(event.prev_hash, event_fields(event)) != event.hash
            )
            if broken:
                number = db.session.scalar(
                    select(Complaint.tracking_no).where(Complaint.id == event.complaint_id)
                )
                return number, event.seq
            prev_hash, prev_seq = event.hash, event.seq
        after = (events[-1].complaint_id, events[-1].seq)
        db.session.expunge_all()
