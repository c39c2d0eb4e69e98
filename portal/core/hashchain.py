"""Tamper-evident chaining: each record's hash covers its fields and the previous hash."""

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the record's fields in canonical JSON."""
    payload = json.dumps(
        {k: _canonical(v) for k, v in fields.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def first_broken_link(records: list[tuple[str, str, Mapping[str, Any]]]) -> int | None:
    """Index of the first (prev_hash, hash, fields) record that does not chain; None if all do."""
    previous = ""
    for index, (prev_hash, stored, fields) in enumerate(records):
        if prev_hash != previous or chain_hash(prev_hash, fields) != stored:
            return index
        previous = stored
    return None
