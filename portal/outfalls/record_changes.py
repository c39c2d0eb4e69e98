"""What approvals and monitoring share when they change: the ledger entry and the reason.

Both hang off an outfall, so their entries go to the outfall's chain (`outfall_chain`) and
appear in its public history; every field they record is public (it is published anyway).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from ..agencies.models import StaffMember
from ..core.errors import UserError
from . import history


def record_change(
    obj: Any,
    subject_kind: str,
    fields: Sequence[str],
    action: str,
    before: dict[str, Any],
    *,
    reason: str,
    actor: StaffMember,
    now: datetime,
    source: str,
) -> None:
    """Append `obj`'s change (from `before` to its current `fields`) to its outfall's chain."""
    history.record(
        chain=history.outfall_chain(obj.outfall_id),
        subject_kind=subject_kind,
        subject_id=obj.id,
        outfall_id=obj.outfall_id,
        action=action,
        changes=history.diff(before, history.snapshot(obj, fields), public=fields),
        reason=reason,
        actor=actor,
        source=source,
        now=now,
    )


def required_reason(reason: str) -> str:
    """The reason of a correction, superseding or revocation, stripped.

    Raises:
        UserError: it is empty.
    """
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_l("Say why (the reason is published with the change)."), "reason")
    return reason
