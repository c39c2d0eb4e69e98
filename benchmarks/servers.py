"""Gunicorn servers for the portal and the bare endpoint, started and always stopped together."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(app: str, port: int) -> list[str]:
    """The same gunicorn invocation for both apps, so the ratio compares like with like."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        # Three 3 MB photos take a moment to upload and process; the default 30 s is fine,
        # but a worker stuck past that would distort the run, so say it in the log.
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Poll until the server answers any HTTP status; fail if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
            return
        except urllib.error.HTTPError:
            return  # an HTTP error is an answer
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server for {url} did not answer within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the gunicorn master (it stops its workers), then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def serve(apps: dict[str, tuple[str, dict[str, str]]], log_dir: Path) -> Iterator[dict[str, str]]:
    """Serve each name -> (wsgi app, env) with gunicorn; yield name -> base URL; always stop."""
    log_dir.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []
    urls: dict[str, str] = {}
    try:
        for name, (app, env) in apps.items():
            port = free_port()
            log = (log_dir / f"gunicorn-{name}.log").open("w")
            # Own process group: stopping it reaches the workers even if the master hangs.
            proc = subprocess.Popen(
                gunicorn_command(app, port),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            procs.append(proc)
            urls[name] = f"http://127.0.0.1:{port}"
        for proc, url in zip(procs, urls.values(), strict=True):
            _wait_until_up(url + "/", proc)
        yield urls
    finally:
        for proc in procs:
            _stop(proc)
