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
        """Store bytes atomically and return their SHA-256 hex digest.

        The file is (re)written even when it exists: its fresh modification time keeps
        `cleanup` from removing it while the transaction that refers to it is still open.
        """
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
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
        """Make a staged file visible under its digest (idempotent).

        Always a rename, even over an existing copy of the same bytes: a concurrent
        `cleanup` removing that old copy can then never lose the file.
        """
        try:
            os.replace(staged.path, self.path(staged.sha256))
        except FileNotFoundError:
            if not self.exists(staged.sha256):
                raise

    def resolve(self, sha256: str) -> Path | None:
        """The file's path, publishing a staged copy left by a crash after its commit.

        Only call this for a digest a committed row refers to.
        """
        target = self.path(sha256)
        if target.exists():
            return target
        for staged in sorted(target.parent.glob(f"{STAGED_PREFIX}{sha256}-*")):
            self.publish(StagedFile(sha256, staged))
            return target if target.exists() else None
        return None

    def discard(self, staged: Iterable[StagedFile]) -> None:
        """Remove staged files whose transaction did not commit."""
        for item in staged:
            item.path.unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def cleanup(self, referenced: Callable[[set[str]], set[str]], older_than: float = 3600) -> dict:
        """Publish staged files the database refers to; delete what nothing refers to.

        `referenced(digests)` returns those of `digests` that committed rows refer to. A
        referenced staged file is published whatever its age (its row is committed, its
        public copy must not 404). Unreferenced files, staged or published, are deleted
        only once older than `older_than` seconds: younger ones may belong to a transaction
        still in flight (`put` and `publish` refresh the time of what they write).
        """
        published = deleted = 0
        if not self.root.exists():
            return {"published": 0, "deleted": 0}
        cutoff = time.time() - older_than
        for directory in sorted(p for p in self.root.iterdir() if p.is_dir()):
            files = [p for p in directory.iterdir() if p.is_file()]
            digests = {self._digest_of(p) for p in files} - {None}
            keep = referenced(digests) if digests else set()
            for path in files:
                digest = self._digest_of(path)
                if digest is None:
                    continue  # not ours
                if path.name.startswith(STAGED_PREFIX) and digest in keep:
                    self.publish(StagedFile(digest, path))
                    published += 1
                elif digest not in keep and _mtime(path) <= cutoff:
                    path.unlink(missing_ok=True)
                    deleted += 1
        return {"published": published, "deleted": deleted}

    @staticmethod
    def _digest_of(path: Path) -> str | None:
        """The digest a stored, staged or temporary file is named after (None: unknown)."""
        name = path.name
        if name.startswith(STAGED_PREFIX):
            name = name[len(STAGED_PREFIX) :]
        elif name.startswith(".tmp-"):
            return ""  # a half-written put(): never referenced, removed once stale
        name = name[:64]
        if len(name) == 64 and all(c in "0123456789abcdef" for c in name):
            return name
        return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")  # gone meanwhile: nothing to delete
