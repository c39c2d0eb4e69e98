"""The registry's edit page, its save and the public history: p50/p95 server time, SQL.

    .venv/bin/python benchmarks/ledger_bench.py sqlite:///benchmarks/data/bench.sqlite
    .venv/bin/python benchmarks/ledger_bench.py postgresql://postgres@127.0.0.1:5432/bench

Whole requests through Flask's test client, signed in as the coordinator (a bench account
made once), page cache off. Each save changes the address and carries the version it
read, so every one writes an UPDATE and a history entry. Budget (DESIGN §4 style): edit
page and save p95 < 100 ms at 100k outfalls.
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import event, func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

RUNS = 60


def _officer(app) -> str:
    from portal.agencies import services
    from portal.agencies.models import Role, StaffMember

    with app.app_context():
        user = db.session.scalar(select(StaffMember).where(StaffMember.username == "bench-officer"))
        if user is None:
            dept = db.session.scalar(
                select(StaffMember.department_id).where(StaffMember.department_id.is_not(None))
            )
            if dept is None:
                from portal.agencies.models import Department

                dept = db.session.scalar(select(Department.id))
            user = services.create_staff(
                db.session, "bench-officer", "bench-password-123", Role.coordinator, dept
            )
            db.session.commit()
        return user.get_id()


def _codes(app, n: int) -> tuple[int, list[str]]:
    from portal.outfalls.models import Outfall

    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Outfall))
        step = max(1, total // n)
        codes = db.session.scalars(select(Outfall.code).order_by(Outfall.code)).all()[::step][:n]
        print(f"{total} outfalls; {len(codes)} sampled")
        return total, codes


def _form(app, code: str, i: int) -> dict:
    from portal.outfalls import ledger
    from portal.outfalls.models import Outfall

    with app.app_context():
        outfall = db.session.scalar(select(Outfall).where(Outfall.code == code))
        data = ledger.OutfallData.from_outfall(outfall)
        return {
            "code": data.code,
            "name": data.name,
            "category_l1": data.category_l1.value,
            "category_l2": data.category_l2.value if data.category_l2 else "",
            "water_kind": data.water_kind.value,
            "lat": "" if data.lat is None else str(data.lat),
            "lon": "" if data.lon is None else str(data.lon),
            "confirm_boundary": "y",
            "address": f"基准测试路{i}号",
            "region_id": str(data.region_id),
            "water_body_id": str(data.water_body_id),
            "responsible": "\n".join(
                ledger.entity_line(link.entity) for link in outfall.responsible_links
            ),
            "management": ledger.entity_line(outfall.management_entity)
            if outfall.management_entity
            else "",
            "supervising_department_id": str(data.supervising_department_id or ""),
            "channel_kind": data.channel_kind.value if data.channel_kind else "",
            "standard_code": data.standard_code or "",
            "signboard_installed_on": data.signboard_installed_on.isoformat()
            if data.signboard_installed_on
            else "",
            "reason": "benchmark",
            "version": str(outfall.version),
        }


BUDGET_MS = {"edit": 100.0, "save": 100.0}


def _row(key: str, label: str, example: str, times: list[float], most: int) -> dict:
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label:>14} {statistics.median(times):7.1f} {p95:7.1f} {times[-1]:7.1f} {most:7d}")
    return {
        "key": key,
        "label": label,
        "example": example,
        "runs": len(times),
        "p50": round(statistics.median(times), 1),
        "p95": round(p95, 1),
        "max": round(times[-1], 1),
        "sql": most,
        "budget_ms": BUDGET_MS.get(key),
    }


def run(url: str, runs: int = RUNS) -> dict:
    """Time the rows; returns {"outfalls": N, "rows": [...]} (ms, most SQL statements)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "PAGE_CACHE_SECONDS": 0,
            "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
            "SEARCH_AUTO_INDEX": False,
        }
    )
    user_id = _officer(app)
    total, codes = _codes(app, 20)
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def signed_in():
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user_id, True
            session["staff_seen"] = time.time()

    print(f"{'row':>14} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'SQL max':>7}")
    rows = []
    for key, name, path in (
        ("edit", "Outfall edit page (staff)", "/manage/outfalls/{}/edit"),
        ("history", "Public history of an outfall", "/outfalls/{}/history"),
    ):
        times, most = [], 0
        for i in range(runs):
            signed_in()
            statements.clear()
            start = time.perf_counter()
            response = client.get(path.format(codes[i % len(codes)]))
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            most = max(most, len(statements))
        rows.append(_row(key, name, path.format(codes[0]), times, most))
    times, most = [], 0
    for i in range(runs):
        code = codes[i % len(codes)]
        form = _form(app, code, i)
        signed_in()
        statements.clear()
        start = time.perf_counter()
        response = client.post(f"/manage/outfalls/{code}/edit", data=form)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 303, (
            code,
            response.status_code,
            response.get_data(as_text=True)[-2000:],
        )
        most = max(most, len(statements))
    rows.append(
        _row("save", "Outfall save (staff)", f"POST /manage/outfalls/{codes[0]}/edit", times, most)
    )
    return {"outfalls": total, "rows": rows}


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "url",
        nargs="?",
        default=f"sqlite:///{os.path.dirname(os.path.abspath(__file__))}/data/bench.sqlite",
    )
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    result = run(args.url, args.runs)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh)
