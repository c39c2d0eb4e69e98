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
    result = store.cleanup(lambda sha: sha == kept.sha256, older_than=3600)
    assert result == {"published": 1, "deleted": 1}
    assert store.exists(kept.sha256)
    assert not orphan.path.exists() and not store.exists(orphan.sha256)
    assert fresh.path.exists()  # a submission in flight is left alone
