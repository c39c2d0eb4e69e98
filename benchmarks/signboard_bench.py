"""Signboards in batch (issue 15): a 1,000-signboard PDF < 30 s, memory flat.

    .venv/bin/python -m benchmarks.signboard_bench [DB_URL] [--write BENCHMARKS.md]

Each figure comes from a fresh child process that prints the first N outfalls by code
(the list's order, no filter) through the code `flask portal signboards` and the list
page's download run (keyset batches, Chinese content, the streaming PDF writer or the
SVG ZIP) into a temporary file, for N = 100 and 1,000: seconds, output size, and the
child's peak RSS (ru_maxrss) after the app, the font and the first query were loaded and
after the batch. Memory is flat when the growth is the same for 100 and 1,000 pages.

Without DB_URL it builds a scratch SQLite database with 1,000 synthetic outfalls on top
of the Qinzhou demo (what `flask portal synth 1000` does). `make bench` runs it on the
benchmark dataset from benchmarks/run.py, and the report (benchmarks/report.py) prints its
section; `--write` replaces that section in an existing BENCHMARKS.md in place.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (100, 1000)
BUDGET_SECONDS = 30.0  # for 1,000 signboards in one PDF
HEADING = "## Signboards in batch"


def _status_mib(field: str) -> float | None:
    """VmHWM (peak) or VmRSS (now) of this process, in MiB (Linux)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_mib() -> float:
    """Peak RSS of this process. Not ru_maxrss: Linux carries it over an exec from the
    parent (which built the database), VmHWM starts afresh."""
    peak = _status_mib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> float:
    """Reset the peak to the current RSS (clear_refs, Linux) and return that RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return _peak_mib()
    return _status_mib("VmRSS") or _peak_mib()


def _app(url: str, tmp: str):
    from portal import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "SEARCH_AUTO_INDEX": False,
            "PUBLIC_BASE_URL": "https://pwk.example.test",
            "UPLOAD_DIR": f"{tmp}/uploads",
        }
    )


def build(url: str, count: int) -> float:
    """A scratch database: the demo plus `count` synthetic outfalls; returns seconds."""
    from portal.demo.synthetic import generate_synthetic
    from portal.extensions import db
    from tests.support import seed_reference_data

    with tempfile.TemporaryDirectory() as tmp, _app(url, tmp).app_context():
        started = time.perf_counter()
        db.create_all()
        seed_reference_data()
        generate_synthetic(db.session, count)
        db.session.commit()
        return time.perf_counter() - started


def child(url: str, count: int, fmt: str) -> dict:
    """One measurement, in this (fresh) process."""
    from itertools import islice

    from portal.imports import signboards
    from portal.outfalls.services import OutfallFilters
    from portal.outfalls.signboard import _font_data, signboards_pdf

    with tempfile.TemporaryDirectory() as tmp, _app(url, tmp).app_context():
        # What any process that prints signboards has loaded before the batch.
        _font_data()
        next(signboards.contents(OutfallFilters(), False))
        setup_peak = _peak_mib()
        baseline = _reset_peak()
        path = Path(tmp) / f"boards.{fmt}"
        contents = islice(signboards.contents(OutfallFilters(), False), count)
        started = time.perf_counter()
        with open(path, "wb") as out:
            if fmt == "pdf":
                made = signboards_pdf(contents, out, "标识牌")
            else:
                made = signboards.write_svg_zip_of(contents, out)
        seconds = time.perf_counter() - started
        return {
            "format": fmt,
            "count": made,
            "seconds": round(seconds, 2),
            "mib": round(path.stat().st_size / 2**20, 1),
            "setup_peak_mib": round(setup_peak),
            "baseline_mib": round(baseline),
            "peak_mib": round(_peak_mib()),
        }


def run(url: str | None = None) -> dict:
    """Build the data when needed, then measure each size and format in a child process."""
    tmp = tempfile.TemporaryDirectory()
    built = None
    if url is None:
        url = f"sqlite:///{tmp.name}/signboards.sqlite"
        built = round(build(url, max(SIZES)), 1)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    figures = []
    load = [os.getloadavg()[0]]
    for fmt in ("pdf", "zip"):
        for count in SIZES:
            answer = subprocess.run(
                [sys.executable, "-m", "benchmarks.signboard_bench", url, "--child", str(count)]
                + ["--format", fmt],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            figures.append(json.loads(answer.stdout.strip().splitlines()[-1]))
            print(f"  signboards {fmt} × {count}: {figures[-1]}", flush=True)
    load.append(os.getloadavg()[0])
    tmp.cleanup()
    pdf = next(f for f in figures if f["format"] == "pdf" and f["count"] == max(SIZES))
    return {
        "figures": figures,
        "built_seconds": built,
        "load_average": [round(v, 2) for v in load],
        "cores": os.cpu_count(),
        "verdict": pdf["seconds"] < BUDGET_SECONDS and pdf["count"] == max(SIZES),
    }


def markdown(result: dict) -> list[str]:
    """The report's section for these figures."""
    names = {"pdf": "PDF, one signboard per page", "zip": "ZIP of SVGs"}
    source = (
        f"a scratch SQLite database with the demo and {max(SIZES):,} synthetic outfalls "
        f"(built in {result['built_seconds']} s)"
        if result["built_seconds"] is not None
        else "the benchmark dataset"
    )
    lines = [
        HEADING,
        "",
        "The first N outfalls by code printed as `flask portal signboards` and the list page's "
        "download do (keyset batches of 200, Chinese content, 480 × 300 mm pages with the font "
        f"subset embedded once), into a temporary file; on {source}; each figure from a fresh "
        "process (`python -m benchmarks.signboard_bench`). *RSS before* is the process's "
        "resident memory with the app, the font tables and the first query loaded; *peak* "
        "is its high-water mark (VmHWM, reset just before the batch) during the batch; the "
        "same growth for 100 and 1,000 signboards means memory is flat.",
        "",
        "| Batch | Signboards | Seconds | Output MiB | RSS before MiB | Peak RSS MiB | Growth MiB "
        "| Budget | |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for f in result["figures"]:
        budgeted = f["format"] == "pdf" and f["count"] == max(SIZES)
        verdict = ("✓" if result["verdict"] else "✗") if budgeted else ""
        lines.append(
            f"| {names[f['format']]} | {f['count']:,} | {f['seconds']:.1f} | {f['mib']} "
            f"| {f['baseline_mib']} | {f['peak_mib']} | {f['peak_mib'] - f['baseline_mib']} "
            f"| {f'< {BUDGET_SECONDS:.0f} s' if budgeted else '–'} | {verdict} |"
        )
    lines += [
        "",
        f"Load average (1 min) when these ran: {result['load_average'][0]} and "
        f"{result['load_average'][1]} on {result['cores']} cores (other work on the machine "
        "slows them).",
    ]
    return lines


def write_section(path: Path, result: dict) -> None:
    """Replace (or add, before the History) this section of an existing report."""
    text = path.read_text()
    section = "\n".join(markdown(result)) + "\n\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## )", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.replace("## History", section + "## History", 1)
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="database to print from (default: build one)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--format", choices=("pdf", "zip"), default="pdf", help=argparse.SUPPRESS)
    parser.add_argument("--write", type=Path, help="update this section of a BENCHMARKS.md")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.url, args.child, args.format)))
        return 0
    result = run(args.url)
    print("\n".join(markdown(result)))
    if args.write:
        write_section(args.write, result)
        print(f"Wrote the section into {args.write}.")
    return 0 if result["verdict"] else 1


if __name__ == "__main__":
    sys.exit(main())
