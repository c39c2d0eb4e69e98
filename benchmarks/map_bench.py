"""Map API budget: p50/p95 server time and bytes per viewport at three zoom levels.

    FLASK_SECRET_KEY=x .venv/bin/python benchmarks/map_bench.py sqlite:///benchmarks/data/bench.sqlite

Times the whole request through Flask's test client (routing, validation, both queries,
JSON, ETag), without a network. Viewports are 1280 × 800 px around random synthetic
centres, with and without a type filter.
"""

import math
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from portal import create_app  # noqa: E402
from portal.demo.synthetic import CENTRES  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.outfalls.models import Outfall  # noqa: E402

ZOOMS = {7: "province", 11: "city", 15: "street"}
WIDTH, HEIGHT = 1280, 800
RUNS = 200


def viewport(lat: float, lon: float, zoom: int) -> str:
    deg_per_px = 360 / 256 / 2**zoom
    half_w = WIDTH / 2 * deg_per_px
    half_h = HEIGHT / 2 * deg_per_px * math.cos(math.radians(lat))
    return f"{lon - half_w:.5f},{lat - half_h:.5f},{lon + half_w:.5f},{lat + half_h:.5f}"


def main(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    from portal.api import bp

    if "api" not in app.blueprints:
        app.register_blueprint(bp)
    with app.app_context():
        total = db.session.query(Outfall).count()
    print(f"{total} outfalls in {url}")
    client = app.test_client()
    rng = random.Random(1)
    print(
        f"{'zoom':>10} {'filter':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'p50 KB':>7} {'max KB':>7} {'features max':>12} modes"
    )
    for zoom, label in ZOOMS.items():
        for query in ("", "&type=GY"):
            times, sizes, feats, modes = [], [], [], set()
            for i in range(RUNS + 10):
                lat0, lon0 = rng.choice(CENTRES)
                spread = 0.05 if zoom >= 11 else 0.5
                bbox = viewport(rng.gauss(lat0, spread), rng.gauss(lon0, spread), zoom)
                start = time.perf_counter()
                response = client.get(f"/api/v1/outfalls/map?bbox={bbox}&zoom={zoom}{query}")
                elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, response.get_data(as_text=True)
                if i < 10:
                    continue  # warm-up
                data = response.get_json(force=True)
                times.append(elapsed)
                sizes.append(len(response.data))
                feats.append(len(data["features"]))
                modes.add(data["mode"])
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(
                f"{zoom:>3} {label:>6} {query[6:] or '-':>8} {statistics.median(times):7.1f} "
                f"{p95:7.1f} {times[-1]:7.1f} {statistics.median(sizes) / 1024:7.1f} "
                f"{max(sizes) / 1024:7.1f} {max(feats):>12} {','.join(sorted(modes))}"
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:////tmp/map100k.sqlite")
