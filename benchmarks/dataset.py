"""The synthetic benchmark dataset: built once with the portal's own commands, then reused."""

import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "benchmarks" / "data"
# A fixed, non-default key: the bench database holds only synthetic data, and the sessions it
# signs (staff sign-in for the queue page) are thrown away with the run.
SECRET_KEY = "benchmark-only-not-secret-padded-to-32-bytes"
PUBLIC_BASE_URL = "https://pwk.example.test"


@dataclass(frozen=True)
class Dataset:
    """What a dataset holds; the marker file records it so a rebuild happens only on change."""

    outfalls: int
    complaints: int
    seed: int = 42

    @property
    def name(self) -> str:
        """File stem, so the quick and full datasets live side by side."""
        return "bench" if self == FULL else f"bench-{self.outfalls}-{self.complaints}"

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return DATA_DIR / f"{self.name}.sqlite"

    @property
    def marker(self) -> Path:
        """Written last, so a half-built database is never reused."""
        return DATA_DIR / f"{self.name}.json"

    @property
    def files_dir(self) -> Path:
        """Uploads and evidence of the complaints the benchmark submits."""
        return DATA_DIR / f"{self.name}-files"

    def env(self) -> dict[str, str]:
        """Environment for `flask` commands and gunicorn serving this dataset."""
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)  # it would win over the SQLite file
        env.update(
            FLASK_APP="portal",
            FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{self.path}",
            FLASK_SECRET_KEY=SECRET_KEY,
            FLASK_PUBLIC_BASE_URL=PUBLIC_BASE_URL,
            FLASK_UPLOAD_DIR=str(self.files_dir / "uploads"),
            FLASK_EVIDENCE_DIR=str(self.files_dir / "evidence"),
            # The search index belongs to this database, not to the developer's instance/.
            FLASK_SEARCH_INDEX_DIR=str(self.files_dir / "search_index"),
            # wrk sends thousands of requests a second from one address.
            FLASK_RATELIMIT_ENABLED="false",
            # Server time of the complaint posts, without the upload's transfer.
            FLASK_SERVER_TIMING="true",
            FLASK_DEMO_MODE="true",
        )
        return env


FULL = Dataset(outfalls=100_000, complaints=1_000_000)
QUICK = Dataset(outfalls=10_000, complaints=100_000)


def _flask(dataset: Dataset, *args: str) -> None:
    """Run one `flask …` command against the dataset, echoing what it does."""
    started = time.monotonic()
    print(f"  flask {' '.join(args)}", flush=True)
    subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=dataset.env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"    done in {time.monotonic() - started:.0f} s", flush=True)


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the database file.

    A bulk load leaves hundreds of MB in the WAL; every read would then consult its index,
    which is not how a settled production database reads.
    """
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _ensure_search_index(dataset: Dataset) -> None:
    """Build the search index once, if this version of the portal has `flask portal reindex`."""
    index = dataset.files_dir / "search_index"
    if index.exists() and any(index.iterdir()):
        return
    has_reindex = subprocess.run(
        [sys.executable, "-m", "flask", "portal", "reindex", "--help"],
        cwd=ROOT,
        env=dataset.env(),
        capture_output=True,
    )
    if has_reindex.returncode == 0:
        _flask(dataset, "portal", "reindex")


def _ensure_progress_rollup(dataset: Dataset) -> None:
    """Fill the /progress rollup once, if this version of the portal has it and it is empty."""
    with sqlite3.connect(dataset.path) as conn:
        try:
            rows = conn.execute("SELECT COUNT(*) FROM remediation_progress").fetchone()[0]
        except sqlite3.OperationalError:  # a portal version without the rollup
            return
    if rows == 0:
        _flask(dataset, "portal", "remediation-rollup")


def ensure(dataset: Dataset) -> tuple[Dataset, bool]:
    """Build the dataset unless a complete one with the same parameters exists; (dataset, built)."""
    if dataset.marker.exists() and dataset.path.exists():
        if json.loads(dataset.marker.read_text()).get("params") == asdict(dataset):
            _checkpoint(dataset.path)  # earlier runs' complaint posts went to the WAL
            _ensure_search_index(dataset)
            _ensure_progress_rollup(dataset)
            return dataset, False
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    dataset.marker.unlink(missing_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dataset.path}{suffix}").unlink(missing_ok=True)
    print(
        f"Building {dataset.path.name}: {dataset.outfalls} outfalls, "
        f"{dataset.complaints} complaints",
        flush=True,
    )
    started = time.monotonic()
    _flask(dataset, "db", "upgrade")
    # Departments and categories come with the demo region; synthetic complaints need them.
    _flask(dataset, "portal", "demo")
    _flask(dataset, "portal", "synth", str(dataset.outfalls), "--seed", str(dataset.seed))
    _flask(dataset, "portal", "synth-complaints", str(dataset.complaints))
    _flask(dataset, "portal", "demo-accounts")
    _ensure_search_index(dataset)
    _ensure_progress_rollup(dataset)
    _checkpoint(dataset.path)
    seconds = round(time.monotonic() - started)
    dataset.marker.write_text(
        json.dumps({"params": asdict(dataset), "build_seconds": seconds}, indent=2) + "\n"
    )
    return dataset, True


def build_seconds(dataset: Dataset) -> int | None:
    """How long the build took, from the marker."""
    try:
        return json.loads(dataset.marker.read_text()).get("build_seconds")
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    ensure(QUICK if "--quick" in sys.argv else FULL)
