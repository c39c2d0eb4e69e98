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


# Blueprints of the staff area besides this one: each installs its own deny-by-default guard.
STAFF_AREA_BLUEPRINTS = {"agencies", "open311_admin"}


def test_every_rule_under_staff_belongs_to_a_guarded_blueprint(app):
    owners = {
        r.endpoint.split(".")[0] for r in app.url_map.iter_rules() if r.rule.startswith("/staff")
    }
    assert owners == STAFF_AREA_BLUEPRINTS


def test_every_api_key_endpoint_redirects_anonymous_users_to_the_login(app, client):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("open311_admin.")]
    checked = set()
    for rule in rules:
        url = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 303), (rule.endpoint, method)
            assert response.headers["Location"].startswith("/staff/login?next="), rule.endpoint
            checked.add(rule.endpoint)
    assert checked == {
        "open311_admin.list_keys",
        "open311_admin.create_key",
        "open311_admin.revoke_key",
    }


def test_the_open311_api_is_public_and_its_post_needs_a_key_not_a_session(app, client):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("open311.")]
    assert {r.endpoint for r in rules} == {
        "open311.discovery",
        "open311.discovery_v2",
        "open311.services",
        "open311.service_definition",
        "open311.list_requests",
        "open311.show_request",
        "open311.show_token",
        "open311.file_request",
    }
    assert client.get("/open311/v2/services.json").status_code == 200
    refused = client.post("/open311/v2/requests.json", data={"service_code": "other"})
    assert refused.status_code == 403  # no key: refused whatever the session
