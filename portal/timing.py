"""`Server-Timing: app;dur=…` on every response when SERVER_TIMING is on (benchmarks).

Off by default: it tells anyone how long the server worked on their request. The benchmark
turns it on to measure DESIGN §4's "server time" without the upload's transfer.
"""

import time

from flask import Flask, g


def init_app(app: Flask) -> None:
    """Time each request from before its first hook to after its last."""
    if not app.config.get("SERVER_TIMING"):
        return

    @app.before_request
    def _start():
        g._server_timing_started = time.perf_counter()

    @app.after_request
    def _stop(response):
        started = g.pop("_server_timing_started", None)
        if started is not None:
            ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={ms:.1f}"
        return response
