"""Inventory import, export and batch signboards (DESIGN §4), on a scratch SQLite database.

    .venv/bin/python -m benchmarks.import_bench --rows 100000 --signboards 1000

Prints one markdown row per figure: seconds and the process's peak memory (ru_maxrss)
after each step; budgets: import dry run and apply < 30 s each (.xlsx and GB18030 .csv),
export of the rows to .xlsx and .csv < 10 s, 1,000-signboard PDF < 30 s.
"""

import argparse
import csv
import resource
import tempfile
import threading
import time
from pathlib import Path

HEADER = [
    "排污口编码",
    "排污口名称",
    "排污口类型",
    "经度",
    "纬度",
    "所在行政区",
    "受纳水体",
    "责任主体",
    "审批（登记、备案）文号",
    "审批日期",
    "整治类型",
    "整治时限",
    "整治状态",
    "标识牌设立日期",
]
# 一口一策 of the generated rows, in turn: category, deadline, status (what an import
# creates: a plan approved, or retained).
PLANS = (
    ("规范整治", "2027年12月31日", "方案已批复"),
    ("依法取缔", "2027/6/30", "方案已批复"),
    ("保留", "", "保留"),
)


def _rows(count: int):
    for n in range(count):
        yield [
            f"QJ01450702GY{n:06d}",
            f"钦南区测试企业{n}#工矿企业排污口",
            "GY",
            f"108°37′{(n % 3000) / 100:.2f}″",
            21.9 + (n % 1000) / 10000,
            "钦南区",
            "钦江",
            f"钦州测试公司{n % 500}",
            f"钦环审〔2023〕{n}号" if n % 2 == 0 else "",
            "2023-05-01" if n % 2 == 0 else "",
            *PLANS[n % 3],
            "2023年5月1日",
        ]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _ChildPeak:
    """The largest peak RSS (VmHWM) of this thread's child processes while it runs: the
    import's reader processes (portal/imports/reading.py), which read a large file on
    another core. Sampled every 0.1 s from /proc (Linux; None elsewhere): a high-water
    mark, so a sample late in a process's life still holds its earlier peak. The kernel's
    own figure for children (RUSAGE_CHILDREN) would count this process's size at the fork."""

    def __init__(self):
        self.peak: float | None = None
        self._children = Path(f"/proc/self/task/{threading.get_native_id()}/children")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            try:
                pids = self._children.read_text().split()
            except OSError:
                return
            for pid in pids:
                hwm = _status_mb("VmHWM", f"/proc/{pid}/status")
                if hwm is not None:
                    self.peak = max(self.peak or 0, hwm)


def _reset_step_peak() -> None:
    """Reset the kernel's high-water mark of this process (Linux ≥ 4.0), per step."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _status_mb(key: str, path: str = "/proc/self/status") -> float | None:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process (or the one whose
    status `path` is), or None off Linux or once it has ended."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--signboards", type=int, default=1000)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    from openpyxl import Workbook

    from portal.extensions import db
    from portal.imports import export, signboards
    from portal.imports.service import run
    from portal.outfalls.services import OutfallFilters

    work = Path(tempfile.mkdtemp(prefix="import-bench-"))
    xlsx, gbk = work / "inventory.xlsx", work / "inventory.csv"
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in _rows(args.rows):
        sheet.append(row)
    book.save(xlsx)
    with open(gbk, "w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(_rows(args.rows))
    app = _app(work, "bench")
    print(
        f"| step ({args.rows} rows) | seconds | peak RSS MB | step: RSS at start → peak MB "
        "| reader process's peak MB |\n|---|---|---|---|---|"
    )

    figures = []

    def step(label, fn):
        _reset_step_peak()
        rss = _status_mb("VmRSS")
        with _ChildPeak() as children:
            start = time.perf_counter()
            result = fn()
            seconds = time.perf_counter() - start
        step_peak = _status_mb("VmHWM")
        # The step's own memory: how far its peak rose above the RSS it started with.
        shown = f"{rss:.0f} → {step_peak:.0f}" if step_peak and rss else "?"
        reader = children.peak
        print(
            f"| {label} | {seconds:.1f} | {_peak_mb():.0f} | {shown} "
            f"| {'–' if reader is None else f'{reader:.0f}'} |",
            flush=True,
        )
        figures.append(
            {
                "label": label,
                "seconds": round(seconds, 1),
                "peak_mib": round(_peak_mb()),
                "step_start_rss_mib": None if rss is None else round(rss),
                "step_peak_mib": None if step_peak is None else round(step_peak),
                "reader_peak_mib": None if reader is None else round(reader),
            }
        )
        return result

    # The GB18030 sheet is applied to a registry of its own (a fresh one, as the .xlsx).
    with _app(work, "csv").app_context():
        _scratch_registry(db)
        step(
            "import GB18030 .csv apply",
            lambda: (run(gbk, gbk.name, apply=True), db.session.commit()),
        )
    with app.app_context():
        _scratch_registry(db)
        step("import .xlsx dry run", lambda: run(xlsx, xlsx.name, apply=False))
        db.session.rollback()
        step("import GB18030 .csv dry run", lambda: run(gbk, gbk.name, apply=False))
        db.session.rollback()
        step("import .xlsx apply", lambda: (run(xlsx, xlsx.name, apply=True), db.session.commit()))
        step("import .xlsx again (all unchanged)", lambda: run(xlsx, xlsx.name, apply=True))
        db.session.rollback()
        step("export .xlsx", lambda: export.write_xlsx(OutfallFilters(), work / "out.xlsx"))
        step(
            "export .csv",
            lambda: _write_chunks(export.csv_chunks(OutfallFilters()), work / "out.csv"),
        )
        first = OutfallFilters()
        with open(work / "boards.pdf", "wb") as fh:
            if not args.signboards:
                return _finish(args, figures, work)
            contents = signboards.contents(first, False)
            from itertools import islice

            from portal.outfalls.signboard import signboards_pdf

            step(
                f"{args.signboards}-signboard PDF",
                lambda: signboards_pdf(islice(contents, args.signboards), fh),
            )
    _finish(args, figures, work)


def _app(work: Path, name: str):
    from portal import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SEARCH_AUTO_INDEX": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / name}.sqlite",
            "PUBLIC_BASE_URL": "https://pwk.example.test",
            "IMPORT_MAX_ROWS": 1_000_000,
            "UPLOAD_DIR": str(work / "uploads"),
            "SEARCH_INDEX_DIR": str(work / f"index-{name}"),
        }
    )


def _scratch_registry(db) -> None:
    """The tables, the county, its river and the coordinating bureau (who decides)."""
    from portal.agencies.models import Department
    from portal.geo.models import Region, RegionLevel, WaterBody, WaterBodyKind

    db.create_all()
    db.session.add(Region(code="450702", name="钦南区", level=RegionLevel.county))
    db.session.add(WaterBody(name="钦江", code="QJ01", kind=WaterBodyKind.river))
    db.session.add(
        Department(
            slug="eeb", name="钦州市生态环境局", name_en="Ecology", phone="", is_coordinator=True
        )
    )
    db.session.commit()


def _write_chunks(chunks, path: Path) -> None:
    """A streamed download written as it comes (what the client receives, memory flat)."""
    with open(path, "wb") as fh:
        for chunk in chunks:
            fh.write(chunk)


def _finish(args, figures: list[dict], work: Path) -> None:
    """Write the figures as JSON when asked; remove the scratch files."""
    import json
    import shutil

    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": args.rows, "figures": figures}, fh)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
