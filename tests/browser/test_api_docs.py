"""/api/ renders the OpenAPI document with the vendored Swagger UI under the strict CSP."""

import pytest

pytestmark = pytest.mark.browser


def test_api_documentation_renders_every_operation_without_csp_errors(live_app, browser):
    page = browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(live_app.config["LIVE_URL"] + "/api/")
    page.wait_for_selector(".opblock-summary-path", timeout=20000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/outfalls/{code}" in p for p in paths)
    assert len(paths) >= 13
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []
    page.close()
