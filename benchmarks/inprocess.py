"""Figures measured in-process, each in a fresh process of its own, for BENCHMARKS.md:
the registry's edit page, save and public history on the benchmark dataset
(`ledger_bench`), the open-data downloads on it (`opendata_bench`), and the inventory
import and export on a scratch database of 100k rows (`import_bench`).

A fresh process per script keeps one's peak memory (ru_maxrss) out of another's figures.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Budgets (issue texts / DESIGN §4) of the import script's steps, by how their label starts.
FILE_BUDGETS = {"import": 30.0, "export": 10.0}


def _script(module: str, *args: str) -> dict:
    """Run `python -m benchmarks.<module> ARGS --json F` and return what it wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        started = time.monotonic()
        print(f"  {module} {' '.join(args)}", flush=True)
        subprocess.run(
            [sys.executable, "-m", f"benchmarks.{module}", *args, "--json", str(out)],
            cwd=ROOT,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        if not out.exists():
            return {"error": f"benchmarks.{module} wrote no figures", "figures": [], "rows": []}
        result = json.loads(out.read_text())
        result["wall_seconds"] = round(time.monotonic() - started)
        return result


def run(data_path: Path, rows: int) -> dict:
    """All three, with the load average around each (other work skews them)."""
    url = f"sqlite:///{data_path}"
    result = {}
    for key, module, args in (
        ("ledger", "ledger_bench", (url,)),
        ("downloads", "opendata_bench", (url, "--all")),
        ("import", "import_bench", ("--rows", str(rows), "--signboards", "0")),
    ):
        before = os.getloadavg()[0]
        result[key] = _script(module, *args)
        result[key]["load_average"] = [round(before, 2), round(os.getloadavg()[0], 2)]
    for figure in result["import"].get("figures", []):
        budget = FILE_BUDGETS.get(figure["label"].split()[0])
        figure["budget_s"] = budget
        figure["ok"] = None if budget is None else figure["seconds"] < budget
    return result


def _load(part: dict) -> str:
    a, b = part.get("load_average", ("?", "?"))
    return f"load average (1 min) {a} before, {b} after"


def markdown(result: dict) -> list[str]:
    """The report's section for these figures."""
    mark = {True: "✓", False: "✗", None: ""}
    ledger, downloads, imports = result["ledger"], result["downloads"], result["import"]
    lines = [
        "## Measured in-process",
        "",
        "Whole requests through Flask's test client (routing, forms, queries, templates; no "
        "HTTP server), page cache off, each script in a fresh process "
        "(`benchmarks/inprocess.py`). Server time only: what the budgets of the registry "
        "edits and the file budgets are about.",
        "",
        f"### The registry's edits ({ledger.get('outfalls', 0):,} outfalls, the benchmark dataset)",
        "",
        "Signed in as a coordinator; 20 outfalls spread over the registry, rotated; each save "
        "changes the address and carries the version it read, so every one writes an UPDATE "
        f"and a history entry (`benchmarks/ledger_bench.py`); {_load(ledger)}.",
        "",
        "| Request | runs | p50 / p95 / max ms | SQL | Budget | |",
        "|---|---:|---|---:|---|---|",
    ]
    for r in ledger.get("rows", []):
        budget = r.get("budget_ms")
        ok = None if budget is None else r["p95"] < budget
        lines.append(
            f"| {r['label']}<br>`{r['example']}` | {r['runs']} | {r['p50']} / {r['p95']} / "
            f"{r['max']} | {r['sql']} | {f'p95 < {budget:.0f} ms' if budget else '–'} "
            f"| {mark[ok]} |"
        )
    if ledger.get("error"):
        lines.append(f"\nNot measured: {ledger['error']}.")
    lines += [
        "",
        f"### Downloads ({downloads.get('outfalls', 0):,} outfalls, the benchmark dataset)",
        "",
        "Each body read in full as it streams (`benchmarks/opendata_bench.py`); *peak RSS* is "
        f"the process's high-water mark after the download; {_load(downloads)}.",
        "",
        "| Download | seconds | MiB | peak RSS MiB (before) | Budget | |",
        "|---|---:|---:|---:|---|---|",
    ]
    for f in downloads.get("figures", []):
        budget = f.get("budget_s")
        lines.append(
            f"| {f['label']} | {f['seconds']} | {f['mib']} | {f['peak_mib']} "
            f"({f['peak_before_mib']}) | {f'< {budget:.0f} s' if budget else '–'} "
            f"| {mark[f['ok']]} |"
        )
    if downloads.get("error"):
        lines.append(f"\nNot measured: {downloads['error']}.")
    lines += [
        "",
        f"### Inventory import and export ({imports.get('rows', 0):,} rows)",
        "",
        "A generated survey sheet (`benchmarks/import_bench.py`: a plan on every row and a "
        "decision on every other, so a row writes an outfall, a plan, its first event, half a"
        " decision and two or three history entries) loaded into scratch SQLite databases "
        "through the import service the CLI uses (one transaction, all or nothing): the "
        "GB18030 CSV applied to a registry of its own, then the .xlsx and the CSV dry-run and"
        " the .xlsx applied to another, then applied again (every row unchanged); then the "
        "registry exported as the import template. *Peak RSS* "
        "is the process's high-water mark during each step (reset before it on Linux). A "
        "file of 2 MiB and more is read by a reader process on the other core "
        "(`portal/imports/reading.py`); *reader* is that process's peak RSS during the step "
        f"(its VmHWM, sampled from /proc; – where none ran); {_load(imports)}.",
        "",
        "| Step | seconds | peak RSS MiB | reader MiB | Budget | |",
        "|---|---:|---:|---:|---|---|",
    ]
    for f in imports.get("figures", []):
        budget = f.get("budget_s")
        lines.append(
            f"| {f['label']} | {f['seconds']} | {f.get('step_peak_mib') or f['peak_mib']} "
            f"| {f.get('reader_peak_mib') or '–'} "
            f"| {f'< {budget:.0f} s' if budget else '–'} | {mark[f.get('ok')]} |"
        )
    if imports.get("error"):
        lines.append(f"\nNot measured: {imports['error']}.")
    return lines


def verdicts(result: dict) -> dict[str, bool]:
    """Budgeted figures by short name, for the report's History line."""
    found = {}
    for r in result.get("ledger", {}).get("rows", []):
        if r.get("budget_ms"):
            found[f"ledger_{r['key']}"] = r["p95"] < r["budget_ms"]
    for part in ("downloads", "import"):
        for f in result.get(part, {}).get("figures", []):
            if f.get("ok") is not None:
                found[f["label"]] = f["ok"]
    return found


if __name__ == "__main__":
    # python -m benchmarks.inprocess [--rows N]: these figures alone, on the built dataset.
    import argparse

    from . import dataset as ds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the import sheet")
    args = parser.parse_args()
    data, _built = ds.ensure(ds.FULL)
    print("\n".join(markdown(run(data.path, args.rows))))
