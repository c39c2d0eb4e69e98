"""Search latency on a large database: p50/p95 of planner.query() over mixed queries.

    .venv/bin/python benchmarks/search_bench.py [--index DIR] [--rebuild] [-n 240]

By default on the `make bench` dataset and its index (FLASK_SQLALCHEMY_DATABASE_URI and
--index point elsewhere).

Queries are drawn from the database itself (names, name fragments, codes, local codes,
pinyin of water bodies, entity names, regions, two with filters), with a fixed seed; the
second round is measured per kind, the first is reported too (each query for the first
time, caches of jieba and highlighting cold). Writes the figures to stdout.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import dataset as ds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", default=str(ds.FULL.files_dir / "search_index"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()

    from pypinyin import lazy_pinyin
    from sqlalchemy import func, select

    from portal import create_app
    from portal.extensions import db
    from portal.geo.models import Region, WaterBody
    from portal.outfalls.models import Entity, Outfall
    from portal.search import lifecycle, planner

    uri = os.environ.get("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{ds.FULL.path}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "TESTING": True})
    rng = random.Random(7)
    with app.app_context():
        n_outfalls = db.session.scalar(select(func.count(Outfall.id)))
        if args.rebuild or not os.path.isdir(args.index):
            t = time.perf_counter()
            lifecycle.rebuild(db.session, args.index)
            print(f"rebuild: {time.perf_counter() - t:.1f} s")
        sample = db.session.execute(
            select(Outfall.name, Outfall.code, Outfall.local_code)
            .order_by(func.random())
            .limit(200)
        ).all()
        waters = db.session.scalars(select(WaterBody.name)).all()
        entities = db.session.scalars(select(Entity.name)).all()
        regions = db.session.scalars(select(Region.name)).all()
    kinds = {
        "name": lambda: rng.choice(sample).name,
        "name_part": lambda: rng.choice(sample).name[4:10],
        "code": lambda: rng.choice(sample).code,
        "code_segment": lambda: rng.choice(sample).code[-10:],
        "water": lambda: rng.choice(waters),
        "pinyin": lambda: "".join(lazy_pinyin(rng.choice(waters))),
        "pinyin_spaced": lambda: " ".join(lazy_pinyin(rng.choice(waters))),
        "entity": lambda: rng.choice(entities),
        "region_water": lambda: f"{rng.choice(regions)} {rng.choice(waters)}",
        "short": lambda: rng.choice(["钦江", "排污口", "化工", "污水处理厂", "茅岭江", "钦州"]),
    }
    filters = {
        "filtered_type": planner.SearchFilters(type="GY"),
        "filtered_kind": planner.SearchFilters(kind="sea"),
    }
    kinds["filtered_type"] = kinds["water"]
    kinds["filtered_kind"] = kinds["short"]
    queries = [(k, kinds[k]()) for _ in range(args.n // len(kinds) + 1) for k in kinds][: args.n]
    timings: dict[str, list[float]] = {k: [] for k in kinds}
    slowest: list[tuple[float, str, str]] = []
    all_ms = []
    with app.app_context():
        first_ms = []
        for k, q in queries:  # first round: each query for the first time in this process
            t = time.perf_counter()
            planner.query(q, directory=args.index, filters=filters.get(k))
            first_ms.append((time.perf_counter() - t) * 1000)
        for k, q in queries:
            t = time.perf_counter()
            page = planner.query(q, directory=args.index, filters=filters.get(k), per_page=20)
            ms = (time.perf_counter() - t) * 1000
            timings[k].append(ms)
            all_ms.append(ms)
            slowest.append((ms, k, q))
            assert page.total >= 0

    def pct(values, p):
        values = sorted(values)
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

    print(f"outfalls: {n_outfalls}, queries: {len(all_ms)}")
    print(
        f"all: p50 {pct(all_ms, 50):.1f} ms, p95 {pct(all_ms, 95):.1f} ms, "
        f"max {max(all_ms):.1f} ms, mean {statistics.mean(all_ms):.1f} ms"
    )
    first = first_ms[len(kinds) :]  # without the round's start (opening the index, jieba)
    print(f"first time: p50 {pct(first, 50):.1f} ms, p95 {pct(first, 95):.1f} ms")
    for k, v in timings.items():
        print(f"  {k:14s} n={len(v):3d} p50 {pct(v, 50):6.1f} ms  p95 {pct(v, 95):6.1f} ms")
    print("slowest:")
    for ms, k, q in sorted(slowest, reverse=True)[:8]:
        print(f"  {ms:6.1f} ms  {k:14s} {q}")


if __name__ == "__main__":
    main()
