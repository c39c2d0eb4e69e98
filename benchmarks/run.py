"""Benchmark run: dataset, gunicorn servers, wrk load, SQL counts; writes BENCHMARKS.md.

python -m benchmarks.run [--quick] [--seconds 10]
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import dataset as ds
from .loads import LoadResult, photo_jpegs, staff_cookie, staged_submissions, submissions, wrk
from .open311_bench import open311_paths
from .queries import count_queries
from .servers import WORKERS, serve

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
REPORT = ROOT / "BENCHMARKS.md"
STAFF = ("industry-staff", "demo-industry-2026")
# Throughput is measured with more connections than workers (requests queue, the workers never
# idle); latency with one connection per worker, so percentiles are server time plus loopback,
# not time spent waiting in gunicorn's backlog.
THROUGHPUT_CONNECTIONS = 8
LATENCY_CONNECTIONS = WORKERS
GUANGXI_CENTRE = (23.6, 108.6)


@dataclass
class Budget:
    """A DESIGN §4 budget: its text and a check over the endpoint's figures."""

    text: str
    check: Callable[["Row", float], bool]


@dataclass
class Endpoint:
    """One benchmarked URL family; `paths` are rotated so no single row stays in a cache."""

    key: str
    label: str
    paths: list[str]
    budget: Budget | None = None
    staff: bool = False
    # Send a cookie, as a visitor with a session does, so every request reaches the
    # application instead of the page cache (what the row then measures is the real work).
    fresh: bool = False


@dataclass
class Row:
    """An endpoint's figures."""

    key: str
    label: str
    example: str
    throughput: LoadResult | None = None
    latency: LoadResult | None = None
    queries: int | None = None
    budget: str = ""
    verdict: bool | None = None
    notes: list[str] = field(default_factory=list)


def _qr_ok(row: Row, bare_rps: float) -> bool:
    return (
        row.throughput.rps >= 0.5 * bare_rps
        and row.queries is not None
        and row.queries <= 3
        and row.throughput.bytes_per_response < 60_000
    )


BUDGETS = {
    "qr": Budget("≥ 0.5 × bare req/s, ≤ 3 SQL, < 60 KB", _qr_ok),
    "search": Budget("p95 < 30 ms", lambda row, _: row.latency.p95 < 30),
    "map": Budget(
        "p95 < 30 ms, < 150 KB",
        lambda row, _: row.latency.p95 < 30 and row.throughput.bytes_per_response < 150_000,
    ),
    "complaint": Budget("p95 < 250 ms server time", lambda row, _: row.latency.p95 < 250),
    "complaint_submit": Budget("p95 < 250 ms server time", lambda row, _: row.latency.p95 < 250),
    "queue": Budget("p95 < 50 ms", lambda row, _: row.latency.p95 < 50),
    "record": Budget("p95 < 50 ms", lambda row, _: row.latency.p95 < 50),
    "departments": Budget("p95 < 50 ms", lambda row, _: row.latency.p95 < 50),
    "api_outfalls": Budget("p95 < 30 ms", lambda row, _: row.latency.p95 < 30),
    "open311_requests": Budget("p95 < 50 ms", lambda row, _: row.latency.p95 < 50),
    "department": Budget("p95 < 50 ms", lambda row, _: row.latency.p95 < 50),
    "progress": Budget("p95 < 50 ms", lambda row, _: row.latency.p95 < 50),
}


def samples(path: Path) -> dict:
    """Real codes, places and words from the dataset, spread over it deterministically."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT code, lat, lon FROM outfalls WHERE status = 'in_service' AND lat IS NOT NULL"
            " AND id % 997 = 0 ORDER BY id LIMIT 24"
        ).fetchall()
        waters = [r[0] for r in conn.execute("SELECT name FROM water_bodies ORDER BY id LIMIT 3")]
        regions = [r[0] for r in conn.execute("SELECT name FROM regions ORDER BY id DESC LIMIT 2")]
        departments = [r[0] for r in conn.execute("SELECT id FROM departments ORDER BY id")]
        region_codes = [
            r[0]
            for r in conn.execute(
                "SELECT code FROM regions WHERE parent_id IS NOT NULL ORDER BY code LIMIT 4"
            )
        ]
        categories = [
            r[0] for r in conn.execute("SELECT code FROM complaint_categories ORDER BY id LIMIT 3")
        ]
    return {
        "codes": [r[0] for r in rows],
        "points": [(r[1], r[2]) for r in rows],
        # No full code: an exact code redirects to its outfall page instead of listing results.
        "words": [*waters, *regions, "污水处理厂", "雨水"],
        "departments": departments,
        "region_codes": region_codes,
        "categories": categories,
    }


def _bbox(lat: float, lon: float, zoom: int) -> str:
    """The bbox of a 1920 × 1080 viewport centred on (lat, lon) at `zoom` (equirectangular)."""
    half_w = 1920 / 256 * 360 / 2**zoom / 2
    half_h = 1080 / 256 * 360 / 2**zoom / 2
    return f"{lon - half_w:.5f},{lat - half_h:.5f},{lon + half_w:.5f},{lat + half_h:.5f}"


def endpoints(sample: dict) -> list[Endpoint]:
    """Every endpoint the issue asks for, whether or not the portal has it yet."""
    from urllib.parse import quote

    codes, points = sample["codes"], sample["points"]
    maps = []
    for zoom in (7, 11, 15):
        # Few viewports exist at zoom 7, but one alone would sit in any cache: pan over several.
        centres = [GUANGXI_CENTRE, *points[:5]] if zoom == 7 else points[:12]
        maps.append(
            Endpoint(
                f"map{zoom}",
                f"Map data, zoom {zoom} (page cache bypassed)",
                [f"/api/v1/outfalls/map?bbox={_bbox(*c, zoom)}&zoom={zoom}" for c in centres],
                BUDGETS["map"],
                fresh=True,
            )
        )
    qr_paths = [f"/o/{c}" for c in codes[:16]]
    return [
        Endpoint("qr", "QR landing `/o/<code>`", qr_paths, BUDGETS["qr"]),
        Endpoint("qr_fresh", "QR landing, page cache bypassed", qr_paths, fresh=True),
        Endpoint(
            "search",
            "Search (page cache bypassed)",
            [f"/search?q={quote(w)}" for w in sample["words"]],
            BUDGETS["search"],
            fresh=True,
        ),
        *maps,
        Endpoint(
            "list",
            "Outfall list, filtered (page cache bypassed)",
            ["/outfalls/?type=SH&page=3"],
            fresh=True,
        ),
        Endpoint(
            "list_legal",
            "Outfall list, filtered by legal status (page cache bypassed)",
            ["/outfalls/?legal=missing&page=3", "/outfalls/?legal=ok&type=GY"],
            fresh=True,
        ),
        Endpoint(
            "api_outfalls",
            "JSON API outfall list `/api/v1/outfalls` (first, deep and filtered pages)",
            [
                "/api/v1/outfalls",
                f"/api/v1/outfalls?after={codes[len(codes) // 2]}",
                "/api/v1/outfalls?type=SH&limit=100",
                f"/api/v1/outfalls?region={sample['region_codes'][0]}&kind=river",
            ],
            BUDGETS["api_outfalls"],
            fresh=True,
        ),
        Endpoint(
            "open311_requests",
            "Open311 `GET requests` (newest 1,000 of 90 days; JSON, XML, filtered)",
            open311_paths(sample["categories"], [])["open311_requests"],
            BUDGETS["open311_requests"],
            fresh=True,
        ),
        Endpoint("queue", "Queue page (staff)", ["/queue/"], BUDGETS["queue"], staff=True),
        Endpoint(
            "queue_filtered",
            "Queue page, filtered (staff)",
            ["/queue/?state=in_progress&overdue=y"],
            BUDGETS["queue"],
            staff=True,
        ),
        Endpoint(
            "record",
            "Public complaint list `/complaints/` (page cache bypassed)",
            ["/complaints/"],
            BUDGETS["record"],
            fresh=True,
        ),
        Endpoint(
            "record_filtered",
            "Public complaint list, filtered (page cache bypassed)",
            [
                f"/complaints/?status=in_progress&category={c}&period=12m"
                for c in sample["categories"]
            ]
            + [f"/complaints/?region={r}" for r in sample["region_codes"]]
            + [f"/complaints/?department={d}&status=closed" for d in sample["departments"][:4]],
            BUDGETS["record"],
            fresh=True,
        ),
        Endpoint(
            "departments",
            "Departments side by side `/departments/` (page cache bypassed)",
            ["/departments/", "/departments/?period=2026&sort=completed_on_time"],
            BUDGETS["departments"],
            fresh=True,
        ),
        Endpoint(
            "department",
            "A department's page with its trend (page cache bypassed)",
            [f"/departments/{d}" for d in sample["departments"]],
            BUDGETS["department"],
            fresh=True,
        ),
        Endpoint(
            "progress",
            "Remediation progress `/progress` by region, water body, type (page cache bypassed)",
            ["/progress", "/progress?by=water", "/progress?by=type", "/progress?by=kind"],
            BUDGETS["progress"],
            fresh=True,
        ),
    ]


def _cookie(endpoint: Endpoint, staff_cookie: str) -> str:
    """The Cookie header an endpoint's requests carry."""
    if endpoint.staff:
        return staff_cookie
    return "bench=fresh" if endpoint.fresh else ""


def _status(url: str, cookie: str = "") -> int:
    """The HTTP status of one GET (redirects not followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with opener.open(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def machine() -> dict:
    """CPU, cores, memory, OS and tool versions."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    import gunicorn

    return {
        "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 1024**2, 1) if mem else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gunicorn": gunicorn.__version__,
        "wrk": wrk_version[1] if len(wrk_version) > 1 else "unknown",
    }


def run(args: argparse.Namespace) -> dict:
    """The whole benchmark; returns everything the report needs."""
    started = time.monotonic()
    data, built = ds.ensure(ds.QUICK if args.quick else ds.FULL)
    sample = samples(data.path)
    env = data.env()
    photos = photo_jpegs(ds.DATA_DIR / "photos")
    rows: list[Row] = []
    skipped: list[str] = []
    bare_env = {k: v for k, v in env.items() if not k.startswith("FLASK_")}
    print(f"Serving {data.path.name} and the bare endpoint with gunicorn ({WORKERS} workers)")
    with serve(
        {"portal": ("wsgi:app", env), "bare": ("benchmarks.bare:app", bare_env)}, RESULTS
    ) as urls:
        portal, bare = urls["portal"], urls["bare"]
        cookie = staff_cookie(portal, *STAFF)
        # Other work on the machine skews every figure; the report shows how busy it was.
        load_before = os.getloadavg()[0]
        todo = [Endpoint("bare", "Bare Flask endpoint", ["/"])]
        for endpoint in endpoints(sample):
            base = bare if endpoint.key == "bare" else portal
            statuses = {_status(base + p, _cookie(endpoint, cookie)) for p in endpoint.paths}
            if statuses == {404}:
                skipped.append(f"{endpoint.label}: `{endpoint.paths[0]}` answers 404 (not built)")
                continue
            if statuses != {200}:
                skipped.append(f"{endpoint.label}: answers HTTP {sorted(statuses)}, not 200")
                continue
            todo.append(endpoint)
        for endpoint in todo:
            base = bare if endpoint.key == "bare" else portal
            cookie_header = _cookie(endpoint, cookie)
            print(f"  wrk {endpoint.label} ({len(endpoint.paths)} URL(s))", flush=True)
            row = Row(endpoint.key, endpoint.label, endpoint.paths[0])
            row.throughput = wrk(
                base,
                endpoint.paths,
                seconds=args.seconds,
                connections=THROUGHPUT_CONNECTIONS,
                cookie=cookie_header,
            )
            row.latency = wrk(
                base,
                endpoint.paths,
                seconds=args.seconds,
                connections=LATENCY_CONNECTIONS,
                cookie=cookie_header,
            )
            if endpoint.budget:
                row.budget = endpoint.budget.text
            rows.append(row)
        print(f"  {args.submissions} complaint posts with 3 photos", flush=True)
        complaint = Row("complaint", "Complaint with 3 photos of 3 MB", "POST /complaints/new")
        complaint.latency = submissions(
            portal, sample["codes"], photos, total=args.submissions, threads=LATENCY_CONNECTIONS
        )
        complaint.notes = complaint.latency.notes
        complaint.budget = BUDGETS["complaint"].text
        rows.append(complaint)
        print(f"  {args.submissions} reports with 3 photos staged first (the JS form)", flush=True)
        uploads, submits = staged_submissions(
            portal, sample["codes"], photos, total=args.submissions, threads=LATENCY_CONNECTIONS
        )
        upload_row = Row(
            "complaint_upload", "Photo upload, one 3 MB photo", "POST /complaints/uploads"
        )
        upload_row.latency, upload_row.notes = uploads, uploads.notes
        submit_row = Row(
            "complaint_submit", "Complaint with 3 staged photos (submit)", "POST /complaints/new"
        )
        submit_row.latency, submit_row.notes = submits, submits.notes
        submit_row.budget = BUDGETS["complaint_submit"].text
        rows += [upload_row, submit_row]
        load_after = os.getloadavg()[0]
    print("  counting SQL statements in-process", flush=True)
    by_key = {e.key: e for e in endpoints(sample)}
    counts = count_queries(
        env,
        {r.key: by_key[r.key].paths for r in rows if r.key in by_key},
        STAFF,
        submission=(sample["codes"][0], photos),
    )
    bare_rps = rows[0].throughput.rps
    for row in rows:
        row.queries = counts.get(row.key, 0 if row.key == "bare" else None)
        if row.budget:
            key = row.key if row.key in BUDGETS else row.key.rstrip("0123456789")
            budget = BUDGETS[key.removesuffix("_filtered")]
            row.verdict = budget.check(row, bare_rps)
    from . import signboard_bench

    print("Signboards in batch (PDF and SVG ZIP, 100 and 1,000)", flush=True)
    signboards = signboard_bench.run(f"sqlite:///{data.path}")
    from . import inprocess

    print("In-process: registry edits, downloads, inventory import and export", flush=True)
    measured = inprocess.run(data.path, rows=10_000 if args.quick else 100_000)
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python -m benchmarks.run" + (" --quick" if args.quick else ""),
        "machine": machine(),
        "dataset": {
            **asdict(data),
            "file": str(data.path.relative_to(ROOT)),
            "size_mib": round(data.path.stat().st_size / 1024**2),
            "built_this_run": built,
            "build_seconds": ds.build_seconds(data),
        },
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "seconds_per_load": args.seconds,
        "submissions": args.submissions,
        "photo_bytes": [len(p) for p in photos],
        "rows": [asdict(r) for r in rows],
        "skipped": skipped,
        "signboards": signboards,
        "inprocess": measured,
        "run_seconds": round(time.monotonic() - started),
    }


def main() -> None:
    """Parse arguments, run, write the JSON results and BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k outfalls, 100k complaints")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk load")
    parser.add_argument("--submissions", type=int, default=30, help="complaint posts")
    parser.add_argument(
        "--no-browser", action="store_true", help="skip the browser benchmark (Slow 3G, Lighthouse)"
    )
    parser.add_argument(
        "--report",
        type=Path,
        help="Markdown report to write (default: BENCHMARKS.md; with --quick, under results/)",
    )
    args = parser.parse_args()
    # A smoke run must not replace the full run's figures in the committed report.
    args.report = args.report or (RESULTS / "BENCHMARKS-quick.md" if args.quick else REPORT)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk (or run `make bench`).")
    if args.quick:
        args.seconds = min(args.seconds, 3)
        args.submissions = min(args.submissions, 6)
    result = run(args)
    if not args.no_browser:
        from . import browser_bench

        print("Browser benchmark (Slow 3G, Lighthouse, axe-core)", flush=True)
        result["browser"] = browser_bench.run(runs=1 if args.quick else 3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["date"].replace(":", "")[:17]
    (RESULTS / f"run-{stamp}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    from .report import write_report

    write_report(args.report, result)
    print(f"Wrote {args.report} in {result['run_seconds']} s.")


if __name__ == "__main__":
    main()
