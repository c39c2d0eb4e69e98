"""A live portal in a thread and headless Debian Chromium driven by Playwright."""

import shutil
import threading

import pytest
from werkzeug.serving import make_server

# Nothing listens here: tiles fail to load, as at a riverbank with no signal.
DEAD_TILES = "http://127.0.0.1:47999/tiles"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def serve_live(make_app, tmp_path):
    """Factory: the portal on a file SQLite database with these config overrides, served
    on an ephemeral loopback port."""
    servers = []

    def _serve(**overrides):
        app = make_app(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'live.sqlite'}",
            # Tiles would need the internet: point them at a closed local port so the test
            # proves the pages work when tiles cannot load.
            MAP_TILE_URL=f"{DEAD_TILES}/{{z}}/{{x}}/{{y}}.png",
            **overrides,
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
        # QR codes and emails link to the configured host, never to the request's.
        app.config["PUBLIC_BASE_URL"] = app.config["LIVE_URL"]
        return app

    yield _serve
    for server, thread in servers:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def live_app(serve_live):
    """The portal as the tests configure it (page cache off, search indexing off)."""
    return serve_live()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A phone-sized page (390 × 844, touch, Chinese) that records console errors."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        # At the riverbank: the phone knows where it is.
        geolocation={"latitude": 21.9501, "longitude": 108.6202},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.console_errors = []

    def on_console(msg):
        source = msg.location.get("url", "")
        # Expected: the unreachable tile server, and a 404 page's own status.
        if msg.type != "error" or source.startswith(DEAD_TILES) or source == page.url:
            return
        page.console_errors.append(f"{msg.text} ({source})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()
