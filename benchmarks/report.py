"""BENCHMARKS.md from a run's results; earlier runs survive only as one History line each."""

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Hand-written analysis of the latest full run; included verbatim so reruns keep it visible.
ANALYSIS = HERE / "analysis.md"
HISTORY = "## History"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _kb(value: float | None) -> str:
    return "–" if value is None else f"{value / 1000:.1f} KB"


def _history(path: Path) -> list[str]:
    """The History lines of the existing report, oldest first."""
    if not path.exists():
        return []
    text = path.read_text()
    if HISTORY not in text:
        return []
    return [ln for ln in text.split(HISTORY, 1)[1].splitlines() if ln.startswith("- ")]


def _summary(result: dict) -> str:
    """One History line: date, dataset, bare req/s and each budgeted endpoint's verdict."""
    rows = result["rows"]
    bare = rows[0]["throughput"]["rps"]
    parts = [f"{r['key']} {'✓' if r['verdict'] else '✗'}" for r in rows if r["verdict"] is not None]
    if result.get("inprocess"):
        from .inprocess import verdicts

        found = verdicts(result["inprocess"])
        parts.append(f"in-process {sum(found.values())} of {len(found)} within budget")
    d = result["dataset"]
    return (
        f"- {result['date']}: `{result['command']}`, {d['outfalls']:,} outfalls / "
        f"{d['complaints']:,} complaints, bare {bare:.0f} req/s; " + ", ".join(parts)
    )


def _notes(result: dict) -> list[str]:
    """Facts the figures show, computed so they stay true on every rerun."""
    rows = {r["key"]: r for r in result["rows"]}
    bare = rows["bare"]["throughput"]["rps"]
    notes = []
    for r in result["rows"]:
        if r["verdict"] is False:
            lat, thr = r["latency"], r["throughput"]
            bits = [f"p95 {_ms(lat['p95'])} ms at {2} connections"]
            if thr:
                bits.append(f"{thr['rps'] / bare:.2f} × bare req/s")
                bits.append(_kb(thr["bytes_per_response"]))
            if r["queries"] is not None:
                bits.append(f"{r['queries']} SQL statements")
            notes.append(f"**{r['label']}** misses its budget ({r['budget']}): {', '.join(bits)}.")
        for note in r.get("notes") or []:
            notes.append(f"{r['label']}: {note}.")
        for load in (r["throughput"], r["latency"]):
            if load and (load["errors"] or load["non2xx"]):
                notes.append(
                    f"{r['label']}: {load['errors']} socket/HTTP errors and {load['non2xx']} "
                    f"non-2xx answers out of {load['requests']} requests."
                )
    return notes


def write_report(path: Path, result: dict) -> None:
    """Write the report for `result`, carrying over the History of earlier runs."""
    history = _history(path) + [_summary(result)]
    m, d = result["machine"], result["dataset"]
    lines = [
        "# Benchmarks",
        "",
        "Figures of the portal under load, as DESIGN §4 asks: on synthetic data, served by "
        "gunicorn (2 sync workers) next to a bare Flask endpoint served the same way in the "
        "same run, loaded with wrk. Regenerate with `make bench` (or `make bench-quick` for a "
        "smoke run on a small dataset); the raw figures of each run are in "
        "`benchmarks/results/` (git-ignored).",
        "",
        "## Latest run",
        "",
        f"- **Date**: {result['date']}",
        f"- **Command**: `{result['command']}` ({result['run_seconds']} s in all"
        + (
            f", of which {d['build_seconds']} s building the dataset)"
            if d["built_this_run"]
            else f"; the dataset was reused, building it took {d['build_seconds']} s)"
        ),
        f"- **Machine**: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM; {m['os']}; "
        f"Python {m['python']}, gunicorn {m['gunicorn']}, wrk {m['wrk']}",
        f"- **Dataset**: {d['outfalls']:,} synthetic outfalls, {d['complaints']:,} synthetic "
        f"complaints, SQLite (`{d['file']}`, {d['size_mib']} MiB), built with `flask portal "
        "synth` / `synth-complaints` on top of the Qinzhou demo data",
        f"- **Load**: wrk, 2 threads, {result['seconds_per_load']} s per run; req/s with 8 "
        "connections (requests queue for the 2 workers: throughput), latency percentiles with "
        "2 connections (one per worker: server time plus loopback, no queueing). URLs with "
        "several paths (codes, queries, viewports) are rotated by `benchmarks/report.lua`.",
        "",
        "| Endpoint | req/s | × bare | p50 / p95 / p99 ms | p95 ms at 8 conn. | SQL | "
        "bytes/resp. | DESIGN §4 budget | |",
        "|---|---:|---:|---|---:|---:|---:|---|---|",
    ]
    bare = result["rows"][0]["throughput"]["rps"]
    for r in result["rows"]:
        thr, lat = r["throughput"], r["latency"]
        verdict = {True: "✓", False: "✗", None: ""}[r["verdict"]]
        if thr:
            rate = f"{thr['rps']:.0f} | {thr['rps'] / bare:.2f}"
        else:
            rate = f"{lat['rps']:.1f} | –"
        lines.append(
            f"| {r['label']}<br>`{r['example']}` | {rate} "
            f"| {_ms(lat['p50'])} / {_ms(lat['p95'])} / {_ms(lat['p99'])} "
            f"| {_ms(thr['p95']) if thr else '–'} "
            f"| {'–' if r['queries'] is None else r['queries']} "
            f"| {_kb((thr or lat)['bytes_per_response'])} "
            f"| {r['budget'] or '–'} | {verdict} |"
        )
    lines += [
        "",
        "Column notes: *bytes/resp.* for GETs is what wrk received per response (status line, "
        "headers and body, no compression), averaged over the rotated paths; for the complaint "
        "it is the body of the redirect. *SQL* is the most statements any of the endpoint's "
        "paths needs on a warm request with the page cache off (what a first visit costs; a "
        "page cache hit runs none), counted in-process (Flask test client on the same "
        "database, a SQLAlchemy `before_cursor_execute` listener). Rows marked *page cache "
        "bypassed* send a cookie, as a visitor with a session does, so every request is "
        "rendered: they measure the application, not the cache. The complaint row is "
        f"{result['submissions']} posts from 2 client threads, each fetching the form first "
        "(session cookie and CSRF token, as a browser does), then posting 3 photos of "
        f"{', '.join(f'{b / 1e6:.1f}' for b in result['photo_bytes'])} MB (12 MP JPEGs); its "
        "percentiles are server time from the `Server-Timing` header the benchmark turns on "
        "(reading and parsing the upload included, its transfer not; the client-side figures "
        "are in the notes below); its req/s is posts per second.",
        "",
        "## Limits and notes",
        "",
    ]
    for skipped in result["skipped"]:
        lines.append(f"- Not measured — {skipped}.")
    lines += [f"- {n}" for n in _notes(result)]
    lines += [
        f"- Load average (1 min) of the machine when the load started and ended: "
        f"{result['load_average'][0]} and {result['load_average'][1]}, on {m['cores']} cores. "
        "The benchmark's own servers and wrk account for about 2 at the end; anything above "
        "that was other work sharing the CPU, which lowers req/s and raises latencies.",
        "- The load generator runs on the same 2 cores as the servers, so absolute req/s are "
        "lower than on a dedicated server; the ratios to the bare endpoint are what DESIGN §4 "
        "budgets, and both sides pay the same cost.",
        "- Tests never assert on time; these figures come only from this command.",
    ]
    if result.get("signboards"):
        from .signboard_bench import markdown as signboards_markdown

        lines += ["", *signboards_markdown(result["signboards"])]
    if result.get("inprocess"):
        from .inprocess import markdown as inprocess_markdown

        lines += ["", *inprocess_markdown(result["inprocess"])]
    if result.get("browser"):
        from .browser_bench import markdown

        lines += ["", *markdown(result["browser"])]
    if ANALYSIS.exists():
        lines += ["", ANALYSIS.read_text().strip()]
    lines += ["", HISTORY, "", *history, ""]
    text = "\n".join(lines)
    path.write_text(re.sub(r"\n{3,}", "\n\n", text))
