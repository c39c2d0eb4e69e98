"""Open311 `GET requests` (DESIGN §4: p95 < 50 ms at 1M complaints) and the JSON API's
outfall page (p95 < 30 ms at 100k outfalls): p50/p95, SQL counts, and the plans.

    .venv/bin/python benchmarks/open311_bench.py sqlite:///benchmarks/data/bench.sqlite

In-process through Flask's test client (routing, checks, queries, JSON or XML), page cache
off, as benchmarks/record_bench.py measures the public record; `make bench` measures the
same URLs over HTTP with wrk (benchmarks/run.py, rows open311_requests and api_outfalls).
Each `requests` answer is the newest 1,000 of the 90-day window (the spec's cap).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, select, text  # noqa: E402

from benchmarks.api_bench import urls as api_urls  # noqa: E402
from benchmarks.record_bench import measure  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402


def open311_paths(categories: list[str], numbers: list[str]) -> dict[str, list[str]]:
    """The URL families of the Open311 rows (shared with benchmarks/run.py)."""
    first = categories[0] if categories else "other"
    return {
        "open311_requests": [
            "/open311/v2/requests.json",
            "/open311/v2/requests.xml",
            "/open311/v2/requests.json?status=open",
            f"/open311/v2/requests.json?service_code={first}",
            f"/open311/v2/requests.json?service_code={','.join(categories[:3])}&status=closed",
        ],
        "open311_request": [f"/open311/v2/requests/{n}.json" for n in numbers],
    }


def urls(app) -> dict[str, list[str]]:
    from portal.complaints.models import Complaint, ComplaintCategory

    with app.app_context():
        categories = db.session.scalars(
            select(ComplaintCategory.code).order_by(ComplaintCategory.id).limit(3)
        ).all()
        numbers = db.session.scalars(
            select(Complaint.tracking_no)
            .where(Complaint.tracking_no.is_not(None))
            .order_by(Complaint.id.desc())
            .limit(10)
        ).all()
    return open311_paths(list(categories), list(numbers))


def plans(app) -> None:
    """The plan of each Open311 list query (which index answers it)."""
    from portal.core.clock import utcnow
    from portal.open311 import georeport as geo

    now = utcnow()
    with app.app_context():
        dialect = db.engine.dialect.name
        cases = {
            "window": geo.RequestQuery(start=now - geo.WINDOW, end=now),
            "open": geo.RequestQuery(start=now - geo.WINDOW, end=now, open=True),
            "category": geo.RequestQuery(start=now - geo.WINDOW, end=now, category_ids=(1,)),
        }
        for name, query in cases.items():
            statement = geo.requests_statement(query)
            sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
            rows = db.session.execute(text(prefix + sql)).all()
            plan = " | ".join(str(r[-1]) if dialect == "sqlite" else r[0] for r in rows)
            print(f"{name:>9}: {plan[:300]}")


def main(url: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "PAGE_CACHE_SECONDS": 0,
            "RATELIMIT_ENABLED": False,
            "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
            "SEARCH_AUTO_INDEX": False,
        }
    )
    from portal.complaints.models import Complaint
    from portal.outfalls.models import Outfall

    with app.app_context():
        complaints = db.session.scalar(select(func.count()).select_from(Complaint))
        outfalls = db.session.scalar(select(func.count()).select_from(Outfall))
    print(f"{complaints} complaints, {outfalls} outfalls in {url.split('@')[-1]}")
    families = urls(app)
    families["api_outfalls"] = api_urls(app)["api_outfalls"]
    measure(app, families)
    plans(app)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///benchmarks/data/bench.sqlite")
