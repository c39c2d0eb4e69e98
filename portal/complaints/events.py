"""A case's append-only, hash-chained history: the one way an entry is written."""

from datetime import datetime

from ..core.hashchain import chain_hash
from ..extensions import db
from .models import ActorKind, Complaint, ComplaintEvent, ComplaintStatus, EventKind


def event_fields(event: ComplaintEvent) -> dict:
    """The fields an event's hash covers."""
    return {
        "complaint_id": event.complaint_id,
        "seq": event.seq,
        "kind": str(event.kind),
        "actor_kind": event.actor_kind.value,
        "actor_id": event.actor_id,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "message": event.message,
        "public": event.public,
        "created_at": event.created_at,
    }


def append_event(
    complaint: Complaint,
    kind: EventKind,
    now: datetime,
    *,
    actor_kind: ActorKind,
    actor_id: int | None = None,
    message: str = "",
    public: bool = True,
    to_status: ComplaintStatus | None = None,
) -> ComplaintEvent:
    """Record one action on the case's append-only, hash-chained history."""
    kind = EventKind(kind)  # a typo is an error here, not a forever-hashed string
    previous = complaint.events[-1] if complaint.events else None
    from_status = complaint.status.value if complaint.status else None
    if to_status is not None:
        complaint.status = to_status
    event = ComplaintEvent(
        complaint_id=complaint.id,
        seq=(previous.seq + 1) if previous else 1,
        kind=kind.value,
        actor_kind=actor_kind,
        actor_id=actor_id,
        from_status=from_status if to_status is not None else None,
        to_status=to_status.value if to_status is not None else None,
        message=message,
        public=public,
        created_at=now,
        prev_hash=previous.hash if previous else "",
    )
    event.hash = chain_hash(event.prev_hash, event_fields(event))
    complaint.events.append(event)
    db.session.flush()
    return event
