"""The workflow of a case: which action moves which status where (pure, no database)."""

from enum import StrEnum

# The values of complaints.models.ComplaintStatus, spelled out so this module stays pure
# (the models import SQLAlchemy); a unit test keeps the two in step.
SUBMITTED = "submitted"
ACCEPTED = "accepted"
REJECTED = "rejected"
TRANSFERRED = "transferred"
IN_PROGRESS = "in_progress"
AWAITING_REPORTER = "awaiting_reporter"
RESOLVED = "resolved"
CLOSED_STATUS = "closed"
REOPENED = "reopened"
MERGED = "merged"

STATUSES = (
    SUBMITTED,
    ACCEPTED,
    REJECTED,
    TRANSFERRED,
    IN_PROGRESS,
    AWAITING_REPORTER,
    RESOLVED,
    CLOSED_STATUS,
    REOPENED,
    MERGED,
)

OPEN = frozenset({SUBMITTED, ACCEPTED, TRANSFERRED, IN_PROGRESS, AWAITING_REPORTER, REOPENED})
# Resolved counts as closed: the work is done and the clock stops, though the reporter
# may still dispute the reply.
CLOSED = frozenset(STATUSES) - OPEN
CLOCK_PAUSED = frozenset({AWAITING_REPORTER})


class Action(StrEnum):
    """What someone does to a case; the order here is the order of the buttons."""

    accept = "accept"
    reject = "reject"
    transfer = "transfer"
    start = "start"
    ask_reporter = "ask_reporter"
    reporter_replied = "reporter_replied"
    resolve = "resolve"
    close = "close"
    dispute = "dispute"  # by the reporter, unhappy with the reply
    reopen = "reopen"  # by the coordinator, reviewing a rejection
    merge = "merge"


REQUIRES_REASON = frozenset({Action.reject, Action.transfer, Action.merge})
REQUIRES_PUBLIC_REPLY = frozenset({Action.resolve})
REQUIRES_TARGET = frozenset({Action.merge})  # the case it is merged into
BY_REPORTER = frozenset({Action.reporter_replied, Action.dispute})
BY_COORDINATOR = frozenset({Action.reopen})

_RULES: tuple[tuple[tuple[str, ...], Action, str], ...] = (
    ((SUBMITTED, TRANSFERRED), Action.accept, ACCEPTED),
    ((SUBMITTED, TRANSFERRED), Action.reject, REJECTED),
    ((SUBMITTED, ACCEPTED, IN_PROGRESS, REOPENED), Action.transfer, TRANSFERRED),
    ((ACCEPTED, REOPENED), Action.start, IN_PROGRESS),
    ((ACCEPTED, IN_PROGRESS, REOPENED), Action.ask_reporter, AWAITING_REPORTER),
    ((AWAITING_REPORTER,), Action.reporter_replied, IN_PROGRESS),
    ((ACCEPTED, IN_PROGRESS, REOPENED), Action.resolve, RESOLVED),
    ((RESOLVED,), Action.close, CLOSED_STATUS),
    ((RESOLVED, CLOSED_STATUS), Action.dispute, REOPENED),
    ((REJECTED,), Action.reopen, REOPENED),
    (tuple(s for s in STATUSES if s in OPEN), Action.merge, MERGED),
)

TRANSITIONS: dict[tuple[str, Action], str] = {
    (source, action): target for sources, action, target in _RULES for source in sources
}


class TransitionError(ValueError):
    """The action is not allowed in the case's current status."""


def next_status(current: str, action: Action) -> str:
    """The status a case moves to when `action` is taken in `current`.

    Raises:
        TransitionError: unknown status or action, or the action is not allowed there.
    """
    try:
        key = (str(current), Action(action))
    except ValueError:
        raise TransitionError(f"unknown action {action!r}") from None
    if key[0] not in STATUSES:
        raise TransitionError(f"unknown status {current!r}")
    try:
        return TRANSITIONS[key]
    except KeyError:
        raise TransitionError(f"cannot {key[1]} a case that is {key[0]}") from None


def allowed_actions(current: str) -> list[Action]:
    """The actions allowed in `current`, in Action's order.

    Raises:
        TransitionError: unknown status.
    """
    if str(current) not in STATUSES:
        raise TransitionError(f"unknown status {current!r}")
    return [a for a in Action if (str(current), a) in TRANSITIONS]
