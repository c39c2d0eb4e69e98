"""Open-data download budgets (DESIGN §4): 100k outfalls as CSV < 5 s, as GeoJSON < 10 s.

    .venv/bin/python benchmarks/opendata_bench.py [DB_URL] [--outfalls N]

Without DB_URL builds a temporary SQLite database with N synthetic outfalls (default 100k;
plans and monitoring included), then downloads each format through Flask's test client,
reading the streamed body in full (routing, filters, the keyset batches, the writer), and
prints seconds, bytes and the process's peak memory. Exit 1 when a budget is missed.
"""

import argparse
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

BUDGETS = {"outfalls.csv": 5.0, "outfalls.geojson": 10.0}
OTHERS = ("outfalls.xlsx", "monitoring.csv", "complaints.csv")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?")
    parser.add_argument("--outfalls", type=int, default=100_000)
    parser.add_argument("--all", action="store_true", help="also time XLSX and other datasets")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{tmp.name}/opendata.sqlite"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "PAGE_CACHE_SECONDS": 0,
            "SEARCH_AUTO_INDEX": False,
            "PUBLIC_BASE_URL": "https://pwk.example.test",
            "UPLOAD_DIR": f"{tmp.name}/uploads",
        }
    )
    if not args.url:
        from portal.demo.synthetic import generate_synthetic
        from tests.support import seed_reference_data

        with app.app_context():
            db.create_all()
            seed_reference_data()
            started = time.perf_counter()
            generate_synthetic(db.session, args.outfalls)
            db.session.commit()
            print(f"built {args.outfalls} outfalls in {time.perf_counter() - started:.1f} s")
    with app.app_context():
        from sqlalchemy import func, select

        from portal.outfalls.models import Outfall

        total = db.session.scalar(select(func.count()).select_from(Outfall))
    client = app.test_client()
    failed = False
    figures = []
    print(f"{'download':<22}{'seconds':>9}{'MiB':>9}{'peak RSS MiB':>14}  budget")
    for name in (*BUDGETS, *(OTHERS if args.all else ())):
        before = _peak_mib()
        started = time.perf_counter()
        response = client.get(f"/data/{name}")
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        seconds = time.perf_counter() - started
        budget = BUDGETS.get(name)
        verdict = "" if budget is None else ("ok" if seconds < budget else "MISSED")
        failed |= verdict == "MISSED"
        print(
            f"{name:<22}{seconds:>9.2f}{size / 2**20:>9.1f}{_peak_mib():>14.0f}  "
            f"{f'< {budget:.0f} s ' if budget else ''}{verdict} (peak before {before:.0f})"
        )
        figures.append(
            {
                "label": f"Download `/data/{name}`",
                "seconds": round(seconds, 2),
                "mib": round(size / 2**20, 1),
                "peak_before_mib": round(before),
                "peak_mib": round(_peak_mib()),
                "budget_s": budget,
                "ok": None if budget is None else seconds < budget,
            }
        )
    if args.json:
        import json

        with open(args.json, "w") as fh:
            json.dump({"outfalls": total, "figures": figures}, fh)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
