"""Server-Timing, for the benchmark's server-time budgets."""

import re

from portal import timing


def test_off_by_default(client):
    assert "Server-Timing" not in client.get("/").headers


def test_on_it_times_every_response(app):
    app.config["SERVER_TIMING"] = True
    timing.init_app(app)
    client = app.test_client()
    for path in ("/", "/no-such-page"):
        header = client.get(path).headers["Server-Timing"]
        assert re.fullmatch(r"app;dur=\d+\.\d", header), header
