"""The OpenAPI document is valid 3.1 and the code keeps it: a bounded schemathesis run
over every operation finds no 5xx and no response outside its documented schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from portal.extensions import db
from tests import factories as f


@pytest.fixture
def populated(app):
    with app.app_context():
        first = f.outfall(code="TW0001450702GY0001")
        f.approval(first, limits={"cod": 30})
        f.plan(first)
        f.monitoring(first, cod=45.0)
        f.complaint(outfall=first.code, consent=True)
        db.session.commit()
    return app


def test_document_is_valid_openapi_3_1_and_lists_every_endpoint(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    for path in (
        "/outfalls",
        "/outfalls/{code}",
        "/approvals",
        "/monitoring",
        "/remediation",
        "/water-bodies",
        "/regions",
        "/departments/{id}/months",
        "/complaints",
    ):
        assert "get" in document["paths"][path]
    limit = next(
        p for p in document["paths"]["/outfalls"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert limit["schema"]["maximum"] == 1000


def test_schemathesis_finds_no_server_error_and_no_schema_violation(populated):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", populated)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 13
    for operation in operations:

        @settings(
            max_examples=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate()

        check()
