"""The public record and the department pages: p50/p95 server time, SQL statements, plans.

    .venv/bin/python benchmarks/record_bench.py sqlite:///benchmarks/data/bench.sqlite
    .venv/bin/python benchmarks/record_bench.py postgresql://postgres@127.0.0.1:5432/bench

Times whole requests through Flask's test client (routing, validation, queries, templates),
page cache off, each URL warmed once; then prints the plan of the list query for every
filter (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) so a missing index shows.
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import event, func, select, text  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

RUNS = 60


def urls(app) -> dict[str, list[str]]:
    """The URL families of BENCHMARKS.md's rows, with values from the database."""
    from portal.agencies.models import Department
    from portal.complaints.models import Complaint, ComplaintCategory
    from portal.geo.models import Region

    with app.app_context():
        departments = db.session.scalars(select(Department.id).order_by(Department.id)).all()
        categories = db.session.scalars(select(ComplaintCategory.code).limit(3)).all()
        regions = db.session.scalars(
            select(Region.code).where(Region.parent_id.is_not(None)).limit(3)
        ).all()
        water = db.session.scalar(select(func.min(Complaint.water_body_id)))
        deep = db.session.scalar(
            select(Complaint.created_at).order_by(Complaint.created_at).offset(1000).limit(1)
        )
    from datetime import timedelta

    from portal.complaints.record import _EPOCH

    cursor = f"{(deep - _EPOCH) // timedelta(microseconds=1)}.999999" if deep else ""
    return {
        "record": ["/complaints/", f"/complaints/?after={cursor}"],
        "record_filtered": [
            *(f"/complaints/?status=in_progress&category={c}&period=12m" for c in categories),
            *(f"/complaints/?region={r}" for r in regions),
            *(f"/complaints/?department={d}&status=closed" for d in departments[:4]),
            f"/complaints/?water={water}",
            "/complaints/?period=30d",
        ],
        "complaints_map": [
            "/api/v1/complaints/map?bbox=108.0,21.5,109.5,22.5",
            "/api/v1/complaints/map?bbox=108.6,21.9,108.7,22.0&status=in_progress",
        ],
        "departments": ["/departments/", "/departments/?period=2026&sort=completed_on_time"],
        "department": [f"/departments/{d}" for d in departments],
    }


def measure(app, families: dict[str, list[str]]) -> None:
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    print(f"{'row':>16} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'SQL max':>7}")
    for name, paths in families.items():
        times, most = [], 0
        for path in paths:
            assert client.get(path).status_code == 200, path  # warm
        for i in range(RUNS):
            path = paths[i % len(paths)]
            statements.clear()
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, path
            most = max(most, len(statements))
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"{name:>16} {statistics.median(times):7.1f} {p95:7.1f} {times[-1]:7.1f} {most:7d}")


def plans(app) -> None:
    """The plan of each filter's list query (what the index choice is)."""
    from portal.complaints import record
    from portal.core.clock import local_today
    from portal.core.periods import parse_period

    with app.app_context():
        dialect = db.engine.dialect.name
        f = record.RecordFilters
        cases = {
            "unfiltered": f(),
            "status": f(status="in_progress"),
            "category": f(category_id=1),
            "region": f(region_ids=(3,)),  # one branch of a multi-region filter
            "water": f(water_ids=(1,)),
            "outfall": f(outfall_id=1),
            "department": f(department_id=1),
            "period": f(period=parse_period("30d", local_today(), allowed=frozenset({"days"}))),
        }
        for name, filters in cases.items():
            statement = (
                record._where(select(record.Complaint.id), filters)
                .order_by(record.Complaint.created_at.desc(), record.Complaint.id.desc())
                .limit(26)
            )
            sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
            rows = db.session.execute(text(prefix + sql)).all()
            plan = " | ".join(str(r[-1]) if dialect == "sqlite" else r[0] for r in rows)
            print(f"{name:>11}: {plan[:300]}")


def main(url: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "PAGE_CACHE_SECONDS": 0,
            "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
            "SEARCH_AUTO_INDEX": False,
        }
    )
    with app.app_context():
        from portal.complaints.models import Complaint

        total = db.session.scalar(select(func.count()).select_from(Complaint))
    print(f"{total} complaints in {url.split('@')[-1]}")
    measure(app, urls(app))
    plans(app)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///benchmarks/data/bench.sqlite")
