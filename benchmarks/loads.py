"""Load generators: wrk for GET pages, a threaded Python loop for multipart complaint posts."""

import http.client
import io
import json
import math
import random
import re
import statistics
import subprocess
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE / "report.lua"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
BENCH_LINE = re.compile(r"^BENCH (.*)$", re.MULTILINE)


@dataclass
class LoadResult:
    """What one load run measured; latencies in milliseconds."""

    requests: int
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int = 0
    non2xx: int = 0
    bytes_per_response: float | None = None
    notes: list[str] = field(default_factory=list)


def wrk(
    base_url: str,
    paths: list[str],
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
    cookie: str = "",
) -> LoadResult:
    """Load `paths` (rotated by report.lua) on `base_url` with wrk; parse report.lua's line."""
    env = {"BENCH_PATHS": "|".join(paths), "BENCH_COOKIE": cookie, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(LUA),
            base_url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = BENCH_LINE.search(out)
    if not match:
        raise RuntimeError(f"wrk printed no BENCH line:\n{out}")
    values = dict(item.split("=", 1) for item in match.group(1).split())
    requests = int(values["requests"])
    return LoadResult(
        requests=requests,
        rps=float(values["rps"]),
        p50=int(values["p50_us"]) / 1000,
        p95=int(values["p95_us"]) / 1000,
        p99=int(values["p99_us"]) / 1000,
        errors=int(values["errors"]),
        non2xx=int(values["non2xx"]),
        # On the wire: status line, headers and body, averaged over the rotated paths.
        bytes_per_response=int(values["bytes"]) / requests if requests else None,
    )


def csrf_token(page: str) -> str:
    """The CSRF token of the first form in an HTML page."""
    match = CSRF.search(page)
    if not match:
        raise RuntimeError("no csrf_token in the page")
    return match.group(1) or match.group(2)


def _session_cookie(response: http.client.HTTPResponse) -> str:
    """`name=value` pairs of the Set-Cookie headers, for the next request's Cookie header."""
    pairs = [h.split(";", 1)[0] for h in response.headers.get_all("Set-Cookie") or []]
    return "; ".join(pairs)


def staff_cookie(base_url: str, username: str, password: str) -> str:
    """Sign a staff member in through the real form (CSRF included); return the Cookie header."""
    host = urllib.parse.urlsplit(base_url).netloc
    conn = http.client.HTTPConnection(host, timeout=30)
    try:
        conn.request("GET", "/staff/login")
        response = conn.getresponse()
        page = response.read().decode()
        cookie = _session_cookie(response)
        body = urllib.parse.urlencode(
            {"csrf_token": csrf_token(page), "username": username, "password": password}
        )
        conn.request(
            "POST",
            "/staff/login",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        response = conn.getresponse()
        response.read()
        if response.status != 302:
            raise RuntimeError(f"staff sign-in failed: HTTP {response.status}")
        return _session_cookie(response) or cookie
    finally:
        conn.close()


def photo_jpegs(directory: Path, count: int = 3, target: int = 3_000_000) -> list[bytes]:
    """`count` distinct phone-sized JPEGs of about `target` bytes, made once and cached."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"photo-{n}.jpg" for n in range(count)]
    if all(p.exists() for p in paths):
        return [p.read_bytes() for p in paths]
    from PIL import Image

    for n, path in enumerate(paths):
        # 12 MP like a phone; noise over a gradient compresses about as badly as a real scene.
        size = (4000, 3000)
        gradient = Image.linear_gradient("L").resize(size).convert("RGB")
        noise = Image.effect_noise(size, 60 + 5 * n).convert("RGB")
        image = Image.blend(gradient, noise, 0.35)
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:30:00"
        best = b""
        for quality in range(40, 96, 5):
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, exif=exif)
            best = out.getvalue()
            if len(best) >= target:
                break
        path.write_bytes(best)
    return [p.read_bytes() for p in paths]


def _multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, filename, data in files:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _submit_one(host: str, code: str, photos: list[bytes]) -> tuple[float, int, int, float]:
    """Fetch the form (session + CSRF), post a complaint with photos.

    Returns (client ms, status, bytes, server ms from the Server-Timing header).
    """
    conn = http.client.HTTPConnection(host, timeout=120)
    try:
        conn.request("GET", f"/complaints/new?outfall={code}")
        response = conn.getresponse()
        page = response.read().decode()
        cookie = _session_cookie(response)
        body, content_type = _multipart(
            {
                "csrf_token": csrf_token(page),
                "category": "abnormal_water",
                "description": "基准测试：河水发黑发臭，上游排口一直在排。",
                "identity": "anonymous",
                "outfall": code,
                "location_source": "pin",
                "website": "",
            },
            [("photos", f"photo-{n}.jpg", data) for n, data in enumerate(photos)],
        )
        started = time.perf_counter()
        conn.request(
            "POST",
            "/complaints/new",
            body=body,
            headers={"Content-Type": content_type, "Cookie": cookie},
        )
        response = conn.getresponse()
        answer = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, response.status, len(answer), _server_ms(response)
    finally:
        conn.close()


FORM_KEY = re.compile(r'name="form_key" type="hidden" value="([^"]+)"')


def _server_ms(response: http.client.HTTPResponse) -> float:
    timing = re.search(r"dur=([\d.]+)", response.getheader("Server-Timing") or "")
    return float(timing.group(1)) if timing else float("nan")


def _staged_one(host: str, code: str, photos: list[bytes]) -> tuple[list[float], float, int]:
    """As the report form does with JavaScript: each photo posted to /complaints/uploads
    as soon as it is picked, then the report with their tokens.

    Returns (server ms of each upload, server ms of the submit, the submit's status).
    """
    conn = http.client.HTTPConnection(host, timeout=120)
    try:
        conn.request("GET", f"/complaints/new?outfall={code}")
        response = conn.getresponse()
        page = response.read().decode()
        cookie = _session_cookie(response)
        token, key = csrf_token(page), FORM_KEY.search(page).group(1)
        uploads, tokens = [], []
        for n, data in enumerate(photos):
            body, content_type = _multipart(
                {"csrf_token": token, "form_key": key}, [("photo", f"photo-{n}.jpg", data)]
            )
            conn.request(
                "POST",
                "/complaints/uploads",
                body=body,
                headers={"Content-Type": content_type, "Cookie": cookie},
            )
            response = conn.getresponse()
            answer = response.read()
            if response.status != 201:
                raise RuntimeError(f"photo upload answered HTTP {response.status}")
            uploads.append(_server_ms(response))
            tokens.append(json.loads(answer)["token"])
        fields = [
            ("csrf_token", token),
            ("form_key", key),
            ("category", "abnormal_water"),
            ("description", "基准测试：河水发黑发臭，上游排口一直在排。"),
            ("identity", "anonymous"),
            ("outfall", code),
            ("location_source", "pin"),
            ("website", ""),
            *[("photo_token", t) for t in tokens],
        ]
        conn.request(
            "POST",
            "/complaints/new",
            body=urllib.parse.urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        response = conn.getresponse()
        response.read()
        return uploads, _server_ms(response), response.status
    finally:
        conn.close()


def _result(values: list[float], total: int, wall: float, bad: list[int], notes) -> LoadResult:
    if any(math.isnan(ms) for ms in values):
        raise RuntimeError("no Server-Timing header: is FLASK_SERVER_TIMING set?")
    values = sorted(values)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return LoadResult(
        requests=total,
        rps=total / wall,
        p50=statistics.median(values),
        p95=cuts[94],
        p99=cuts[98],
        non2xx=len(bad),
        notes=notes,
    )


def staged_submissions(
    base_url: str, codes: list[str], photos: list[bytes], *, total: int, threads: int
) -> tuple[LoadResult, LoadResult]:
    """`total` reports the way the JavaScript form sends them, from `threads` clients:
    (server time of each photo's upload request, server time of the submit with tokens)."""
    host = urllib.parse.urlsplit(base_url).netloc
    rng = random.Random(2)
    chosen = [rng.choice(codes) for _ in range(total)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda code: _staged_one(host, code, photos), chosen))
    wall = time.perf_counter() - started
    bad = [status for _, _, status in results if status != 303]
    if len(bad) > total - 2:
        raise RuntimeError(f"staged complaint posts failed: statuses {bad[:5]}")
    size = statistics.mean(len(p) for p in photos) / 1e6
    uploads = _result(
        [ms for up, _, _ in results for ms in up],
        total * len(photos),
        wall,
        [],
        [f"one {size:.1f} MB photo per request, decoded, checked and re-encoded"],
    )
    submits = _result(
        [ms for _, ms, status in results if status == 303],
        total,
        wall,
        bad,
        [f"{len(photos)} photos staged beforehand; the submit carries their tokens"],
    )
    return uploads, submits


def submissions(
    base_url: str, codes: list[str], photos: list[bytes], *, total: int, threads: int
) -> LoadResult:
    """Post `total` complaints with the photos from `threads` clients.

    Percentiles are server time (Server-Timing: from the request's first hook to its last,
    reading and parsing the upload included); the client-side figures go into the notes.
    """
    host = urllib.parse.urlsplit(base_url).netloc
    rng = random.Random(1)
    chosen = [rng.choice(codes) for _ in range(total)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda code: _submit_one(host, code, photos), chosen))
    wall = time.perf_counter() - started
    ok = [r for r in results if r[1] == 303]
    bad = [status for _, status, _, _ in results if status != 303]
    if len(ok) < 2:
        raise RuntimeError(f"complaint posts failed: statuses {bad[:5]}")
    client = sorted(r[0] for r in ok)
    client_cuts = statistics.quantiles(client, n=100, method="inclusive")
    notes = [
        f"client-side, upload of {sum(len(p) for p in photos) / 1e6:.1f} MB on loopback "
        f"included: p50 {statistics.median(client):.0f} ms, p95 {client_cuts[94]:.0f} ms"
    ]
    if bad:
        notes.append(f"{len(bad)} posts not answered 303: {sorted(set(bad))}")
    result = _result([r[3] for r in ok], len(results), wall, bad, notes)
    result.bytes_per_response = statistics.mean(r[2] for r in results)
    return result
