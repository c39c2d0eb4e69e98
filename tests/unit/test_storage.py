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
