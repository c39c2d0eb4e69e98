"""The reporter's side of a case: the private link, lookup, follow-ups, rating, dispute."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..core.errors import UserError
from ..extensions import db
from .events import append_event
from .models import ActorKind, Complaint, ComplaintStatus, EventKind, Reporter, case_page_loads
from .signals import complaint_reopened, information_added
from .tokens import make_token, normalise_tracking_no, token_hash
from .uploads import Photo, Staged, Stores, discard, stage_photos

RATEABLE = frozenset({ComplaintStatus.resolved, ComplaintStatus.closed})


def find_by_token(token: str) -> Complaint | None:
    """The complaint a private link opens, with what its tracking page shows."""
    if not token or len(token) > 64:
        return None
    return db.session.scalars(
        select(Complaint)
        .where(Complaint.token_hash == token_hash(token))
        .options(*case_page_loads())
    ).first()


def find_by_number(tracking_no: str) -> Complaint | None:
    """The complaint with this tracking number however it was typed."""
    return db.session.scalars(
        select(Complaint).where(Complaint.tracking_no == normalise_tracking_no(tracking_no))
    ).first()


def lookup(tracking_no: str, contact: str, secret: str) -> str | None:
    """The private token for a tracking number, if the phone or email given matches."""
    complaint = find_by_number(tracking_no)
    if complaint is None:
        return None
    reporter = db.session.get(Reporter, complaint.id)
    if reporter is None or reporter.anonymous:
        return None
    wanted = contact.strip().lower()
    digits = "".join(c for c in wanted if c.isdigit())
    phone = "".join(c for c in reporter.phone if c.isdigit())
    matches = (reporter.email and wanted == reporter.email.lower()) or (
        phone and digits and digits[-11:] == phone[-11:]
    )
    return make_token(complaint.token_nonce, secret) if matches else None


def add_information(
    complaint: Complaint, message: str, photos: list[Photo], now: datetime, stores: Stores
) -> list[Staged]:
    """The reporter adds text or photos to an open case; a paused clock restarts.

    Raises:
        UserError: the case is no longer open.
    """
    if not complaint.is_open:
        raise UserError(_("This case is closed; you can rate or dispute the outcome."), "message")
    to_status = (
        ComplaintStatus.in_progress
        if complaint.status is ComplaintStatus.awaiting_reporter
        else None
    )
    event = append_event(
        complaint,
        EventKind.reporter_info,
        now,
        actor_kind=ActorKind.reporter,
        message=message.strip(),
        public=False,
        to_status=to_status,
    )
    information_added.send(complaint, now=now, resumed=to_status is not None)
    staged: list[Staged] = []
    try:
        stage_photos(complaint, photos, stores, staged, event_id=event.id)
    except BaseException:
        discard(staged)
        raise
    return staged


def rate(complaint: Complaint, rating: int, comment: str, now: datetime) -> None:
    """The reporter rates the outcome of a resolved or closed case, once.

    Raises:
        UserError: the case is not resolved or closed, or was already rated.
    """
    if complaint.status not in RATEABLE or complaint.rating is not None:
        raise UserError(_("This case cannot be rated now."), "rating")
    complaint.rating = rating
    complaint.rating_comment = comment.strip()
    append_event(
        complaint,
        EventKind.rated,
        now,
        actor_kind=ActorKind.reporter,
        message=f"{rating}/5",
        public=False,
    )


def dispute(complaint: Complaint, reason: str, now: datetime) -> None:
    """The reporter says the problem is not solved: the case reopens.

    Raises:
        UserError: the case is not resolved or closed.
    """
    if complaint.status not in RATEABLE:
        raise UserError(_("Only a resolved or closed case can be disputed."), "reason")
    complaint.closed_at = None
    append_event(
        complaint,
        EventKind.disputed,
        now,
        actor_kind=ActorKind.reporter,
        message=reason.strip(),
        public=False,
        to_status=ComplaintStatus.reopened,
    )
    complaint_reopened.send(complaint, now=now)
