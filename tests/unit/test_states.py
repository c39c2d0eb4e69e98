import itertools

import pytest

from portal.complaints.models import OPEN_STATUSES, ComplaintStatus
from portal.queue.states import (
    CLOCK_PAUSED,
    CLOSED,
    OPEN,
    REQUIRES_PUBLIC_REPLY,
    REQUIRES_REASON,
    REQUIRES_TARGET,
    STATUSES,
    TRANSITIONS,
    Action,
    TransitionError,
    allowed_actions,
    next_status,
)

# The workflow as the brief states it, written out independently of the module's table.
EXPECTED = {
    ("submitted", "accept"): "accepted",
    ("submitted", "reject"): "rejected",
    ("submitted", "transfer"): "transferred",
    ("accepted", "transfer"): "transferred",
    ("in_progress", "transfer"): "transferred",
    ("reopened", "transfer"): "transferred",
    ("transferred", "accept"): "accepted",
    ("transferred", "reject"): "rejected",
    ("accepted", "start"): "in_progress",
    ("reopened", "start"): "in_progress",
    ("accepted", "ask_reporter"): "awaiting_reporter",
    ("in_progress", "ask_reporter"): "awaiting_reporter",
    ("reopened", "ask_reporter"): "awaiting_reporter",
    ("awaiting_reporter", "reporter_replied"): "in_progress",
    ("accepted", "resolve"): "resolved",
    ("in_progress", "resolve"): "resolved",
    ("reopened", "resolve"): "resolved",
    ("resolved", "close"): "closed",
    ("resolved", "dispute"): "reopened",
    ("closed", "dispute"): "reopened",
    ("rejected", "reopen"): "reopened",
    **{
        (s, "merge"): "merged"
        for s in (
            "submitted",
            "accepted",
            "transferred",
            "in_progress",
            "awaiting_reporter",
            "reopened",
        )
    },
}

FORBIDDEN = [
    (status, action)
    for status, action in itertools.product(STATUSES, Action)
    if (status, action) not in TRANSITIONS
]


def test_statuses_are_exactly_the_complaint_model_values():
    assert set(STATUSES) == {s.value for s in ComplaintStatus}
    assert len(STATUSES) == len(set(STATUSES))


def test_open_matches_the_model_and_closed_is_the_rest():
    assert OPEN == {s.value for s in OPEN_STATUSES}
    assert CLOSED == {"rejected", "resolved", "closed", "merged"}
    assert not OPEN & CLOSED
    assert CLOCK_PAUSED == {"awaiting_reporter"} and CLOCK_PAUSED <= OPEN


def test_transition_table_is_exactly_the_specified_workflow():
    assert {(s, str(a)): t for (s, a), t in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("key", "target"), sorted(TRANSITIONS.items()))
def test_allowed_transition_moves_to_its_target(key, target):
    current, action = key
    assert next_status(current, action) == target
    assert next_status(ComplaintStatus(current), action) == target  # enum members work too
    assert action in allowed_actions(current)


@pytest.mark.parametrize(("current", "action"), FORBIDDEN)
def test_forbidden_transition_raises(current, action):
    with pytest.raises(TransitionError):
        next_status(current, action)
    assert action not in allowed_actions(current)


def test_every_pair_is_either_allowed_or_forbidden():
    assert len(TRANSITIONS) + len(FORBIDDEN) == len(STATUSES) * len(Action)


def test_terminal_statuses_only_allow_their_way_back():
    assert allowed_actions("merged") == []
    assert allowed_actions("rejected") == [Action.reopen]
    assert allowed_actions("closed") == [Action.dispute]


def test_allowed_actions_come_in_the_order_of_the_buttons():
    assert allowed_actions("submitted") == [
        Action.accept,
        Action.reject,
        Action.transfer,
        Action.merge,
    ]
    assert allowed_actions("in_progress") == [
        Action.transfer,
        Action.ask_reporter,
        Action.resolve,
        Action.merge,
    ]


def test_unknown_status_or_action_raises_transition_error():
    with pytest.raises(TransitionError):
        next_status("archived", Action.accept)
    with pytest.raises(TransitionError):
        next_status("submitted", "approve")
    with pytest.raises(TransitionError):
        allowed_actions("archived")


def test_plain_string_actions_are_accepted():
    assert next_status("submitted", "accept") == "accepted"


def test_actions_needing_a_reason_reply_or_target():
    assert REQUIRES_REASON == {Action.reject, Action.transfer, Action.merge}
    assert REQUIRES_PUBLIC_REPLY == {Action.resolve}
    assert REQUIRES_TARGET == {Action.merge}


def test_transition_error_is_a_value_error():
    assert issubclass(TransitionError, ValueError)


def test_every_event_kind_has_a_label_in_both_languages():
    from babel.messages.pofile import read_po

    from portal.complaints.labels import EVENT_KIND
    from portal.complaints.models import EventKind
    from portal.config import ROOT

    assert set(EVENT_KIND) == {k.value for k in EventKind}
    for lang in ("zh", "en"):
        with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalogue = read_po(fh, locale=lang)
        for kind in EventKind:
            message = catalogue.get(EVENT_KIND[kind.value]._args[0])
            assert message is not None and message.string, (lang, kind)


def test_every_workflow_action_that_reaches_the_history_is_an_event_kind():
    from portal.complaints.models import EventKind

    recorded = set(Action) - {Action.dispute, Action.reporter_replied}
    assert {a.value for a in recorded} <= {k.value for k in EventKind}
