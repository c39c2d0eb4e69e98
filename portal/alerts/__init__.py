"""Email alerts: subscribe to an outfall, a water body, a region or one report; double
opt-in; at most one digest a day through the outbox; one-click unsubscribe (RFC 8058)."""
