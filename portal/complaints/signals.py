"""Signals other modules connect to without complaints importing them."""

from blinker import Namespace

_signals = Namespace()

# Sent with the complaint (flushed, not committed) and now=…; the queue routes it.
complaint_submitted = _signals.signal("complaint-submitted")
# Sent when a reporter disputes an outcome and the case reopens.
complaint_reopened = _signals.signal("complaint-reopened")
# Sent when the reporter adds information (the queue restarts a paused clock).
information_added = _signals.signal("information-added")
