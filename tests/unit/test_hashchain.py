from datetime import UTC, datetime

from portal.core.hashchain import ChainHasher, canonical_json, chain_hash, first_broken_link


def _chain(messages):
    records, prev = [], ""
    for i, message in enumerate(messages):
        fields = {"seq": i, "message": message, "at": datetime(2026, 1, 1, tzinfo=UTC)}
        digest = chain_hash(prev, fields)
        records.append((prev, digest, fields))
        prev = digest
    return records


def test_an_intact_chain_has_no_broken_link():
    assert first_broken_link(_chain(["受理", "回复", "办结"])) is None


def test_editing_a_record_breaks_the_chain_there():
    records = _chain(["受理", "回复", "办结"])
    prev, digest, fields = records[1]
    records[1] = (prev, digest, fields | {"message": "改过的回复"})
    assert first_broken_link(records) == 1


def test_deleting_a_record_breaks_the_chain_at_the_next_one():
    records = _chain(["受理", "回复", "办结"])
    del records[1]
    assert first_broken_link(records) == 1


def test_hash_depends_on_the_previous_hash():
    fields = {"message": "x"}
    assert chain_hash("", fields) != chain_hash("a" * 64, fields)


def test_a_batch_hasher_hashes_as_chain_hash_does():
    changes = [
        {"field": "name", "old": None, "new": '钦江"排口"\n\\', "public": True},
        {"field": "lat", "old": 21.95, "new": 1.5e20, "public": False},
    ]
    fixed = {
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "reason": "台账 100%s%.xlsx",
        "staff_id": None,
    }
    keys = ("chain", "seq", "action", "changes", "outfall_id", "created_at", "reason", "staff_id")
    hasher = ChainHasher(keys, fixed, encoded=("changes",))
    for record in (
        {"action": "create", "chain": "outfall:1%s", "seq": 1, "outfall_id": 7},
        # None, a boolean, a large integer, a float written 1e-07, text with escapes
        {"action": True, "chain": 'a"\x00\u2028', "seq": 2**64, "outfall_id": None},
        {"action": 1.5e-07, "chain": "钦江 𝄞", "seq": -1, "outfall_id": [1, {"b": 2}]},
    ):
        fields = record | fixed | {"changes": changes}
        given = record | {"changes": canonical_json(changes)}
        assert hasher("p", given) == chain_hash("p", fields)
    # The encoded field first, last or alone: the members still come in key order.
    assert ChainHasher(["a", "z"], {"z": 1}, ["a"])("", {"a": "[]"}) == chain_hash(
        "", {"z": 1, "a": []}
    )
    assert ChainHasher(["a", "z"], {"a": 1}, ["z"])("", {"z": "{}"}) == chain_hash(
        "", {"a": 1, "z": {}}
    )
    assert ChainHasher(["m"], {}, ["m"])("", {"m": "2"}) == chain_hash("", {"m": 2})
    assert ChainHasher(["a", "b"], {}, [])("", {"a": 1.5e-07, "b": 1}) == chain_hash(
        "", {"a": 1.5e-07, "b": 1}
    )


def test_canonical_json_is_the_standard_encoding_of_what_is_stored():
    import json

    standard = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    values = [
        [{"field": "lat", "old": 21.95, "new": 1e-05, "public": True}],
        {"b": [1e-07, 0.00012, 1e16, 1e22, -0.0, 5e-324, 0.1 + 0.2], "a": "0.00001 1e-5"},
        {"z": '\x00\x1f\x7f\u2028\n\t"\\/ 钦江 𝄞', "y": [2**63 - 1, -(2**63), 2**64]},
        {1: "a key that is not text"},
        [True, False, None, {}, []],
    ]
    for value in values:
        text = canonical_json(value)
        assert text == standard.encode(value)
        assert standard.encode(json.loads(text)) == text
    assert canonical_json([float("nan")]) == "[null]"
