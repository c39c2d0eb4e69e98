"""Serving with several gunicorn workers: limits that would not hold stop the server."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from portal import create_app
from portal.config import ROOT
from portal.serving import check_workers
from tests.support import make_config


def test_memory_limits_with_several_workers_are_refused(tmp_path):
    app = create_app(make_config(tmp_path, RATELIMIT_ENABLED=True))
    with pytest.raises(RuntimeError, match="redis://"):
        check_workers(app, 2)
    check_workers(app, 1)  # one process counts right
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379"
    check_workers(app, 4)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn(tmp_path: Path, workers: int, storage: str, port: int = 0) -> subprocess.Popen:
    env = os.environ | {
        "FLASK_SECRET_KEY": "s" * 40,
        "FLASK_PUBLIC_BASE_URL": "https://pwk.example.test",
        "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
        "FLASK_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "FLASK_RATELIMIT_STORAGE_URI": storage,
    }
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_gunicorn_with_two_workers_and_memory_limits_does_not_start(tmp_path):
    server = _gunicorn(tmp_path, 2, "memory://")
    try:
        output, _ = server.communicate(timeout=60)
    finally:
        server.kill()
    assert server.returncode != 0
    assert "RATELIMIT_STORAGE_URI is memory://" in output


def test_gunicorn_with_one_worker_and_memory_limits_serves(tmp_path):
    port = _free_port()
    server = _gunicorn(tmp_path, 1, "memory://", port)
    try:
        status = None
        deadline = time.monotonic() + 60
        while status is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico") as r:
                    status = r.status
            except OSError:
                time.sleep(0.2)
        assert status == 200  # the worker loaded the portal and serves (static icon)
    finally:
        server.terminate()
        server.communicate(timeout=30)
