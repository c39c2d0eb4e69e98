"""Content-addressed file storage under one root (local disk by default)."""

import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

STAGED_PREFIX = ".staged-"


@dataclass(frozen=True)
class StagedFile:
    """Bytes written under a temporary name, not yet visible under their digest."""

    sha256: str
    path: Path


class FileStore:
    """Files named by their SHA-256; writing the same bytes twice stores them once.

    Writes that belong to a database transaction are staged first and published after
    the commit: a crash before the commit leaves only staged files (removed by
    `cleanup`), a crash after it leaves staged files that `cleanup` publishes.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file with this digest lives (it may not exist)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def _write_temp(self, directory: Path, prefix: str, data: bytes) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp)

    def put(self, data: bytes) -> str:
        """Store bytes atomically and return their SHA-256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if not target.exists():
            # Temporary name in the same directory, then rename: a crash never leaves a
            # half-written file under a real digest.
            os.replace(self._write_temp(target.parent, ".tmp-", data), target)
        return digest

    def stage(self, data: bytes) -> StagedFile:
        """Write bytes under a temporary name that `publish` or `cleanup` resolves later."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        prefix = f"{STAGED_PREFIX}{digest}-{uuid.uuid4().hex[:8]}-"
        return StagedFile(digest, self._write_temp(target.parent, prefix, data))

    def publish(self, staged: StagedFile) -> None:
        """Make a staged file visible under its digest (idempotent)."""
        target = self.path(staged.sha256)
        if target.exists():
            staged.path.unlink(missing_ok=True)
        else:
            os.replace(staged.path, target)

    def discard(self, staged: Iterable[StagedFile]) -> None:
        """Remove staged files whose transaction did not commit."""
        for item in staged:
            item.path.unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def cleanup(self, is_referenced: Callable[[str], bool], older_than: float = 3600) -> dict:
        """Publish staged files the database refers to and delete the rest once stale.

        Only files older than `older_than` seconds are touched, so submissions in
        flight are left alone.
        """
        published = deleted = 0
        cutoff = time.time() - older_than
        if not self.root.exists():
            return {"published": 0, "deleted": 0}
        for path in self.root.glob(f"*/{STAGED_PREFIX}*"):
            if path.stat().st_mtime > cutoff:
                continue
            digest = path.name[len(STAGED_PREFIX) :][:64]
            if is_referenced(digest):
                self.publish(StagedFile(digest, path))
                published += 1
            else:
                path.unlink(missing_ok=True)
                deleted += 1
        for path in self.root.glob("*/.tmp-*"):
            if path.stat().st_mtime <= cutoff:
                path.unlink(missing_ok=True)
                deleted += 1
        return {"published": published, "deleted": deleted}
