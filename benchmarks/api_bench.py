"""The JSON API's list page (DESIGN §4: p95 < 30 ms at 100k outfalls): p50/p95, SQL counts.

    .venv/bin/python benchmarks/api_bench.py sqlite:///benchmarks/data/bench.sqlite

In-process through Flask's test client (routing, parameter checks, queries, JSON), page
cache off, as benchmarks/record_bench.py measures the public record.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, select  # noqa: E402

from benchmarks.record_bench import measure  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402


def urls(app) -> dict[str, list[str]]:
    """First pages, filtered pages and a page deep in the registry (keyset: as fast)."""
    from portal.geo.models import Region
    from portal.outfalls.models import Outfall

    with app.app_context():
        codes = db.session.scalars(select(Outfall.code).order_by(Outfall.code)).all()
        region = db.session.scalar(select(Region.code).where(Region.parent_id.is_not(None)))
    deep = codes[len(codes) * 9 // 10] if codes else ""
    return {
        "api_outfalls": [
            "/api/v1/outfalls",
            f"/api/v1/outfalls?after={deep}",
            "/api/v1/outfalls?type=GY&limit=100",
            f"/api/v1/outfalls?region={region}&kind=river",
            "/api/v1/outfalls?remediation=remediating",
        ],
        "api_outfall": [f"/api/v1/outfalls/{c}" for c in codes[:: max(1, len(codes) // 20)]],
    }


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
    with app.app_context():
        from portal.outfalls.models import Outfall

        total = db.session.scalar(select(func.count()).select_from(Outfall))
    print(f"{total} outfalls in {url.split('@')[-1]}")
    measure(app, urls(app))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///benchmarks/data/bench.sqlite")
