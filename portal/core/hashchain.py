"""Tamper-evident chaining: each record's hash covers its fields and the previous hash."""

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


_dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


# orjson writes what the standard encoder writes for the same keys sorted, compact and
# non-ASCII kept, about 7× faster, except where a float is written in another form (the
# standard one writes 1e-05 and 1e-07 where orjson writes 0.00001 and 1e-7): any output that
# could hold such a number is written again by the standard encoder. So is anything
# orjson refuses (an integer beyond 64 bits, a lone surrogate, a key that is not a string).
_FLOAT_FORMS = (b"e-", b"e+", b".0000")  # in the text: perhaps such a number (substring
# tests, as a regex over the whole text would cost more than the encoding saved)
_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def canonical_json(value: Any) -> str:
    """A JSON value as the hash covers it: keys sorted, no spaces, non-ASCII kept; the text
    `chain_hash` writes for it once stored and read back (so a verifier recomputes it). The
    same text as json's, but that a NaN or infinity is written null, as JSON allows."""
    try:
        text = orjson.dumps(value, option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _dumps(value)
    if any(form in text for form in _FLOAT_FORMS):
        return _dumps(value)
    return text.decode()


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the record's fields in canonical JSON."""
    payload = _dumps({k: _canonical(v) for k, v in fields.items()})
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def spliced_hash(
    prev_hash: str, before: Mapping[str, Any], key: str, encoded: str, after: Mapping[str, Any]
) -> str:
    """`chain_hash(prev_hash, before | {key: value} | after)`, the value given already
    written by `canonical_json` (a bulk writer stores the same text, so a large field is
    encoded once). Every key of `before` sorts before `key` and every key of `after` after
    it, so the object is written in three pieces, without sorting or a loop in Python."""
    head = canonical_json({k: _canonical(v) for k, v in before.items()})
    tail = canonical_json({k: _canonical(v) for k, v in after.items()})
    middle = f"{_dumps(key)}:{encoded}"
    payload = "{" + ",".join(p for p in (head[1:-1], middle, tail[1:-1]) if p) + "}"
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def first_broken_link(records: list[tuple[str, str, Mapping[str, Any]]]) -> int | None:
    """Index of the first (prev_hash, hash, fields) record that does not chain; None if all do."""
    previous = ""
    for index, (prev_hash, stored, fields) in enumerate(records):
        if prev_hash != previous or chain_hash(prev_hash, fields) != stored:
            return index
        previous = stored
    return None
