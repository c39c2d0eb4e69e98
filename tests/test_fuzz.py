"""Arbitrary input on every public route and form: no 5xx, nothing stored on refusal.

Bounded (a few dozen examples per test, no example database) to keep the suite fast; the
same run happens on SQLite and on PostgreSQL, which refuses NUL in text.
"""

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.complaints.models import Complaint, Support
from portal.extensions import db
from tests import factories as f

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = [
    "\x00",
    "a\x00b",
    "\r\n",
    "\x1b[31m",
    "\u202eevil\u202c",  # a right-to-left override
    "\u200f\u0627\u0644\u0646\u0647\u0631",  # Arabic script behind an RLM
    "🐟💀🏭",
    "inf",
    "-inf",
    "nan",
    "1e309",
    "9" * 40,
    str(2**63),
    "-1",
    "0",
    "x" * 100_000,
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "TS-2026-000001",
    "ＴＳ－２０２６－０００００１",
]
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))
# Query keys the pages read, and a few they do not.
KEYS = ["q", "page", "region", "water", "type", "kind", "remediation", "status", "outfall"]
KEYS += ["lat", "lon", "bbox", "zoom", "next", "after", "month", "period", "unknown"]


def _public_get_rules(app):
    staff = ("queue", "queue_admin", "queue_intake", "agencies", "open311_admin")
    return [
        r
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and r.endpoint.split(".")[0] not in staff and r.endpoint != "static"
    ]


def _arguments(rule):
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if "Int" in kind:
            values[name] = st.integers(min_value=0, max_value=2**70)
        else:
            values[name] = TEXT.filter(lambda s: s.strip("/") != "" and "/" not in s)
    return st.fixed_dictionaries(values)


@pytest.fixture
def world(seed):
    def make():
        outfall = f.outfall(lat=21.95, lon=108.62)
        receipt = f.complaint(outfall=outfall.code, consent=True)
        return outfall.code, receipt.complaint.tracking_no, receipt.token

    return seed(make)


def test_every_public_get_route_survives_arbitrary_values(app, client, world):
    rules = _public_get_rules(app)
    assert len(rules) > 20  # the walk really covers the site

    by_endpoint = {r.endpoint: r for r in rules}

    @FUZZ
    @given(
        rule=st.sampled_from(rules),
        data=st.data(),
        query=st.dictionaries(st.sampled_from(KEYS), TEXT, max_size=4),
    )
    def check(rule, data, query):
        values = data.draw(_arguments(rule))
        _get(rule, values, query)

    def _get(rule, values, query):
        with app.test_request_context():
            adapter = app.url_map.bind("pwk.example.test")
            try:
                path = adapter.build(rule.endpoint, values)
            except Exception:  # noqa: BLE001 - a value no URL can hold
                return
        with client.get(path, query_string=query) as r:
            assert r.status_code < 500, (path, query, r.status_code)

    # What the review found, always tried.
    _get(by_endpoint["complaints.show_public"], {"tracking_no": "TS-2026-000001\x00"}, {})
    _get(by_endpoint["outfalls.show_water"], {"water_id": 2**63}, {"water": str(2**63)})
    _get(by_endpoint["complaints.nearby"], {}, {"lat": "inf", "lon": "1e309"})
    _get(by_endpoint["i18n.set_language"], {"code": "en"}, {"next": "/\r\nX: y"})
    check()


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


REPORT_FIELDS = ["category", "description", "outfall", "lat", "lon", "location_source"]
REPORT_FIELDS += ["identity", "name", "phone", "email", "consent", "website"]


def test_the_report_form_stores_nothing_it_refuses(app, client, world):
    code, _number, _token = world

    @FUZZ
    @given(
        fields=st.dictionaries(st.sampled_from(REPORT_FIELDS), TEXT, max_size=8),
        valid_base=st.booleans(),
    )
    # What the review found, always tried: NUL in the text, non-finite coordinates.
    @example(fields={"description": "河面\x00有油膜"}, valid_base=True)
    @example(fields={"name": "\x00", "identity": "named", "phone": "13800138000"}, valid_base=True)
    @example(fields={"lat": "nan", "lon": "108.6"}, valid_base=True)
    @example(fields={"lat": "inf", "lon": "inf"}, valid_base=True)
    def check(fields, valid_base):
        base = {"category": "other", "description": "河面有油膜", "outfall": code}
        data = (base if valid_base else {}) | fields
        before = _count(app, Complaint)
        r = client.post("/complaints/new", data=data)
        assert r.status_code < 500, (data, r.status_code)
        if r.status_code != 303:
            assert _count(app, Complaint) == before, data

    check()


def test_the_other_public_forms_survive_arbitrary_text(app, client, world):
    _code, number, token = world
    posts = [
        ("/complaints/lookup", ["tracking_no", "contact"]),
        (f"/complaints/t/{token}/info", ["message"]),
        (f"/complaints/t/{token}/rate", ["rating", "comment"]),
        (f"/complaints/t/{token}/dispute", ["reason"]),
        (f"/complaints/{number}/support", ["csrf_token"]),
        ("/staff/login", ["username", "password"]),
        ("/staff/totp", ["code"]),
    ]

    @FUZZ
    @given(target=st.sampled_from(posts), data=st.data())
    @example(target=posts[0], data=None)
    def check(target, data):
        path, names = target
        if data is None:  # the review's case: NUL in the lookup and the login
            fields = dict.fromkeys(names, "TS\x00")
        else:
            fields = data.draw(st.dictionaries(st.sampled_from(names), TEXT, max_size=len(names)))
        r = client.post(path, data=fields)
        assert r.status_code < 500, (path, fields, r.status_code)
        text = r.get_data(as_text=True)
        assert "Traceback" not in text and not re.search(r"psycopg|sqlite3\.", text)

    check()
    assert _count(app, Support) <= 1
