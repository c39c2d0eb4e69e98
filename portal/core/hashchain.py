"""Tamper-evident chaining: each record's hash covers its fields and the previous hash."""

import hashlib
import json
from collections.abc import Iterable, Mapping
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
# Such a number is looked for as b"e-", b"e+" or b".0000" in the text (substring tests, as
# a regex over the whole text would cost more than the encoding saved).
_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def canonical_json(value: Any) -> str:
    """A JSON value as the hash covers it: keys sorted, no spaces, non-ASCII kept; the text
    `chain_hash` writes for it once stored and read back (so a verifier recomputes it). The
    same text as json's, but that a NaN or infinity is written null, as JSON allows."""
    try:
        text = orjson.dumps(value, option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _dumps(value)
    if b"e-" in text or b"e+" in text or b".0000" in text:  # perhaps such a float
        return _dumps(value)
    return text.decode()


def _text_json(value: str) -> str:
    """canonical_json of a text (no number in it to be written in another form)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # a lone surrogate
        return _dumps(value)


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the record's fields in canonical JSON."""
    payload = _dumps({k: _canonical(v) for k, v in fields.items()})
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


class ChainHasher:
    """`chain_hash` for many records of the same keys (a bulk writer's batch): the fields
    every record shares (`fixed`: the batch's moment, reason, author) are written once, and
    a field named in `encoded` is given already written by `canonical_json` (the writer
    stores that text, so a large field is encoded once). Each record's object is then put
    together from its pieces in key order, without sorting or encoding it whole.

        hasher = ChainHasher(keys, fixed={"reason": reason}, encoded={"changes"})
        hasher(prev_hash, values)  # == chain_hash(prev_hash, values | fixed), values'
                                   # "changes" given as canonical_json(changes)
    """

    def __init__(self, keys: Iterable[str], fixed: Mapping[str, Any], encoded: Iterable[str] = ()):
        encoded = set(encoded)
        # "{" prev_hash-free payload as one %-template: the fixed members written in, a %s
        # for each other member's value (its key and colon written in too).
        members, self._variable = [], []
        for key in sorted(set(keys) | set(fixed)):
            if key in fixed:
                value = canonical_json(_canonical(fixed[key])).replace("%", "%%")
            else:
                value = "%s"
                self._variable.append((key, key in encoded))
            members.append(f"{_dumps(key).replace('%', '%%')}:{value}")
        self._template = "%s\n{" + ",".join(members) + "}"

    def __call__(self, prev_hash: str, values: Mapping[str, Any]) -> str:
        parts = [prev_hash]
        for key, encoded in self._variable:
            value = values[key]
            if encoded:
                parts.append(value)
            else:
                write = _WRITE.get(type(value))
                parts.append(write(value) if write else canonical_json(_canonical(value)))
        return hashlib.sha256((self._template % tuple(parts)).encode()).hexdigest()


# canonical_json of the commonest members, without its general checks.
_WRITE = {int: str, str: _text_json, type(None): lambda _value: "null"}


def first_broken_link(records: list[tuple[str, str, Mapping[str, Any]]]) -> int | None:
    """Index of the first (prev_hash, hash, fields) record that does not chain; None if all do."""
    previous = ""
    for index, (prev_hash, stored, fields) in enumerate(records):
        if prev_hash != previous or chain_hash(prev_hash, fields) != stored:
            return index
        previous = stored
    return None
