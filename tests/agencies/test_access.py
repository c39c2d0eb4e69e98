"""Deny by default: every staff page refuses anonymous visitors."""

from portal.agencies.views import PUBLIC_ENDPOINTS


def test_every_agencies_endpoint_but_the_sign_in_steps_redirects_anonymous_users(app, client):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("agencies.")]
    assert {r.endpoint for r in rules} >= PUBLIC_ENDPOINTS
    checked = []
    for rule in rules:
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 303), (rule.endpoint, method)
            assert response.headers["Location"].startswith("/staff/login?next="), rule.endpoint
            checked.append(rule.endpoint)
    assert {"agencies.home", "agencies.account", "agencies.list_users"} <= set(checked)
    assert len(set(checked)) >= 6


def test_public_endpoints_are_only_the_sign_in_steps():
    assert PUBLIC_ENDPOINTS == {
        "agencies.login",
        "agencies.verify_totp",
        "agencies.setup_totp",
        "agencies.logout",
    }


def test_public_endpoints_give_nothing_away(client):
    assert client.get("/staff/login").status_code == 200
    for url in ("/staff/totp", "/staff/totp/setup"):
        assert client.get(url).headers["Location"] == "/staff/login"
    assert client.post("/staff/logout").headers["Location"] == "/staff/login"
