"""Search latency on a large database: p50/p95 of index.query() over mixed queries.

    FLASK_SQLALCHEMY_DATABASE_URI=sqlite:////tmp/search100k.sqlite \
        .venv/bin/python benchmarks/search_bench.py [--index DIR] [--rebuild] [-n 200]

Queries are drawn from the database itself (names, name fragments, codes, local codes,
pinyin of water bodies, entity names, regions), with a fixed seed; the first round warms
the searcher and jieba, the second is measured. Writes the figures to stdout.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", default="/tmp/search100k_index")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()

    from pypinyin import lazy_pinyin
    from sqlalchemy import func, select

    from portal import create_app
    from portal.extensions import db
    from portal.geo.models import Region, WaterBody
    from portal.outfalls.models import Entity, Outfall
    from portal.search import index

    uri = os.environ.get("FLASK_SQLALCHEMY_DATABASE_URI", "sqlite:////tmp/search100k.sqlite")
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "TESTING": True})
    rng = random.Random(7)
    with app.app_context():
        n_outfalls = db.session.scalar(select(func.count(Outfall.id)))
        if args.rebuild or not os.path.isdir(args.index):
            t = time.perf_counter()
            index.rebuild(db.session, args.index)
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
    queries = [(k, kinds[k]()) for _ in range(args.n // len(kinds) + 1) for k in kinds][: args.n]
    timings: dict[str, list[float]] = {k: [] for k in kinds}
    all_ms = []
    with app.app_context():
        for _k, q in queries:  # warm-up round
            index.query(q, directory=args.index)
        for k, q in queries:
            t = time.perf_counter()
            page = index.query(q, directory=args.index, page=1, per_page=20)
            ms = (time.perf_counter() - t) * 1000
            timings[k].append(ms)
            all_ms.append(ms)
            assert page.total >= 0

    def pct(values, p):
        values = sorted(values)
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

    print(f"outfalls: {n_outfalls}, queries: {len(all_ms)}")
    print(
        f"all: p50 {pct(all_ms, 50):.1f} ms, p95 {pct(all_ms, 95):.1f} ms, "
        f"max {max(all_ms):.1f} ms, mean {statistics.mean(all_ms):.1f} ms"
    )
    for k, v in timings.items():
        print(f"  {k:14s} n={len(v):3d} p50 {pct(v, 50):6.1f} ms  p95 {pct(v, 95):6.1f} ms")


if __name__ == "__main__":
    main()
