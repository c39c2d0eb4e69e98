import hashlib

import pytest

from portal.core.storage import FileStore


def test_put_stores_bytes_under_their_digest(tmp_path):
    store = FileStore(tmp_path)
    digest = store.put(b"%PDF-1.4 demo")
    assert digest == hashlib.sha256(b"%PDF-1.4 demo").hexdigest()
    assert store.path(digest).read_bytes() == b"%PDF-1.4 demo"
    assert store.exists(digest)


def test_same_bytes_are_stored_once_and_no_temp_files_remain(tmp_path):
    store = FileStore(tmp_path)
    assert store.put(b"x") == store.put(b"x")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and not files[0].name.startswith(".tmp-")


@pytest.mark.parametrize("bad", ["../etc/passwd", "abc", "G" * 64])
def test_paths_only_come_from_real_digests(tmp_path, bad):
    with pytest.raises(ValueError):
        FileStore(tmp_path).path(bad)


def test_staged_files_are_invisible_until_published(tmp_path):
    store = FileStore(tmp_path)
    staged = store.stage(b"photo")
    assert not store.exists(staged.sha256) and staged.path.exists()
    store.publish(staged)
    assert store.path(staged.sha256).read_bytes() == b"photo"
    assert not staged.path.exists()
    store.publish(staged)  # publishing twice is harmless


def test_discard_removes_staged_files(tmp_path):
    store = FileStore(tmp_path)
    staged = store.stage(b"photo")
    store.discard([staged])
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_cleanup_publishes_referenced_and_deletes_orphaned_stale_files(tmp_path):
    import os

    store = FileStore(tmp_path)
    kept, orphan, fresh = (
        store.stage(b"committed"),
        store.stage(b"rolled back"),
        store.stage(b"new"),
    )
    for staged in (kept, orphan):
        os.utime(staged.path, (0, 0))  # an hour and more ago
    result = store.cleanup(lambda digests: digests & {kept.sha256}, older_than=3600)
    assert result == {"published": 1, "deleted": 1}
    assert store.exists(kept.sha256)
    assert not orphan.path.exists() and not store.exists(orphan.sha256)
    assert fresh.path.exists()  # a submission in flight is left alone


def test_cleanup_publishes_a_committed_photo_at_once_whatever_its_age(tmp_path):
    store = FileStore(tmp_path)
    just_committed = store.stage(b"committed a second ago")
    result = store.cleanup(lambda digests: digests, older_than=3600)
    assert result == {"published": 1, "deleted": 0}
    assert store.exists(just_committed.sha256)


def test_cleanup_removes_stale_stored_files_nothing_refers_to(tmp_path):
    import os

    store = FileStore(tmp_path)
    old, young, kept = store.put(b"old orphan"), store.put(b"young orphan"), store.put(b"kept")
    for digest in (old, kept):
        os.utime(store.path(digest), (0, 0))
    (tmp_path / "README").write_text("not ours")
    result = store.cleanup(lambda digests: digests & {kept}, older_than=3600)
    assert result == {"published": 0, "deleted": 1}
    assert not store.exists(old) and store.exists(young) and store.exists(kept)


def test_a_stored_file_written_again_is_young_again(tmp_path):
    import os

    store = FileStore(tmp_path)
    digest = store.put(b"same bytes")
    os.utime(store.path(digest), (0, 0))
    # A new transaction stores the same bytes: cleanup must not take them away from it.
    store.publish(store.stage(b"same bytes"))
    assert store.cleanup(lambda digests: set(), older_than=3600)["deleted"] == 0
    assert store.exists(digest)


def test_a_missing_public_file_is_published_from_its_staged_copy(tmp_path):
    store = FileStore(tmp_path)
    staged = store.stage(b"crash after commit")
    assert store.resolve(staged.sha256) == store.path(staged.sha256)
    assert store.resolve("0" * 64) is None
