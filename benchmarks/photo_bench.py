"""The photo pipeline's time for a 12 Mpx phone photo, in process (DESIGN §4 budgets the
whole complaint; this is its main part).

    .venv/bin/python -m benchmarks.photo_bench [--runs 10]
"""

import argparse
import statistics
import time

from portal.complaints.photos import process_photo
from tests.images import photo_like_jpeg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    data = photo_like_jpeg()
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        photo = process_photo(data)
        timings.append(time.perf_counter() - start)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(
        f"process_photo 4000x3000 JPEG of {len(data) / 1e6:.1f} MB: "
        f"p50 {statistics.median(timings) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
        f"over {len(timings)} runs; public {len(photo.public_jpeg) // 1024} KB, "
        f"thumb {len(photo.thumb_jpeg) // 1024} KB"
    )


if __name__ == "__main__":
    main()
