"""Legal status on the public pages: list filter, badges, QR page, expired approvals."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from portal.core.clock import local_today
from portal.extensions import db
from portal.i18n import LANG_COOKIE
from portal.outfalls import legal, services
from portal.outfalls.models import (
    ApprovalKind,
    ApprovalState,
    CategoryL1,
    CategoryL2,
    Outfall,
    OutfallStatus,
    WaterKind,
)
from tests import factories as f

TODAY = local_today()
PAST = TODAY - timedelta(days=400)


def _registry() -> dict[str, str]:
    """One outfall per interesting case; returns {case: code}."""
    sea = f.water_body(kind="sea", name="茅尾海")
    cases = {}
    ok = f.outfall()
    f.approval(ok, decided_on=PAST, valid_until=TODAY + timedelta(days=30))
    cases["ok"] = ok
    expired = f.outfall(category_l1=CategoryL1.SH, category_l2=CategoryL2.sh_wwtp)
    f.approval(expired, decided_on=PAST, valid_until=TODAY - timedelta(days=1))
    cases["expired"] = expired
    wrong = f.outfall()  # industrial with only a registration
    f.approval(wrong, kind=ApprovalKind.registration, decided_on=PAST)
    cases["registration_only"] = wrong
    cases["none"] = f.outfall()
    registered = f.outfall(category_l1=CategoryL1.NY, category_l2=CategoryL2.ny_livestock)
    f.approval(registered, kind=ApprovalKind.registration, decided_on=PAST)
    cases["registered"] = registered
    filed = f.outfall(water_kind=WaterKind.sea, water_body=sea)
    f.approval(filed, kind=ApprovalKind.filing, decided_on=PAST)
    cases["filed"] = filed
    revoked = f.outfall()
    f.approval(revoked, decided_on=PAST, state=ApprovalState.revoked, revoked_on=TODAY)
    cases["revoked"] = revoked
    cases["banned"] = f.outfall(status=OutfallStatus.banned)
    return {name: o.code for name, o in cases.items()}


EXPECTED = {
    "ok": "ok",
    "expired": "expired",
    "registration_only": "missing",
    "none": "missing",
    "registered": "ok",
    "filed": "ok",
    "revoked": "missing",
    "banned": "not_required",
}


@pytest.fixture
def codes(seed):
    return seed(_registry)


def test_sql_clause_page_batch_and_single_outfall_agree(app_ctx):
    codes = _registry()
    outfalls = db.session.scalars(select(Outfall).order_by(Outfall.id)).all()
    by_code = {o.code: o for o in outfalls}
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        batch = legal.statuses_for(outfalls, TODAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1  # a page of outfalls, one query
    for case, code in codes.items():
        outfall = by_code[code]
        assert batch[outfall.id].status.value == EXPECTED[case], case
        assert legal.status_of(outfall, TODAY).status.value == EXPECTED[case], case
    for status in legal.LegalStatus:
        found = set(
            db.session.scalars(select(Outfall.code).where(legal.legal_clause(status, TODAY)))
        )
        assert found == {codes[c] for c, s in EXPECTED.items() if s == status.value}, status


@pytest.mark.parametrize("status", ["ok", "missing", "expired", "not_required"])
def test_the_public_list_filters_by_legal_status(client, codes, status):
    page = client.get(f"/outfalls/?legal={status}").get_data(as_text=True)
    for case, code in codes.items():
        assert (code in page) is (EXPECTED[case] == status), (case, status)


def test_the_list_shows_each_outfalls_status_and_refuses_a_bad_filter(client, codes):
    client.set_cookie(LANG_COOKIE, "en")
    page = client.get("/outfalls/").get_data(as_text=True)
    assert page.count('class="badge legal-missing"') == 3
    assert page.count('class="badge legal-expired"') == 1
    assert 'name="legal"' in page
    assert client.get("/outfalls/?legal=perhaps").status_code == 400


def test_outfall_and_qr_pages_flag_an_expired_approval(client, codes):
    client.set_cookie(LANG_COOKIE, "en")
    code = codes["expired"]
    for url in (f"/outfalls/{code}", f"/o/{code}"):
        page = client.get(url).get_data(as_text=True)
        assert "Approval expired" in page, url
        assert "judged against the national standard" in page, url
    page = client.get(f"/o/{codes['registration_only']}").get_data(as_text=True)
    assert "needs a Setting approval" in page


def test_after_expiry_monitoring_is_judged_against_the_national_standard(app_ctx):
    outfall = f.outfall()  # GY: GB 8978 level 1, COD ≤ 100
    f.approval(
        outfall,
        decided_on=date(2020, 1, 1),
        valid_until=date(2025, 12, 31),
        limits={"cod": 200},  # a permit more lenient than the standard
    )
    before = f.monitoring(outfall, sampled_at=datetime(2025, 6, 1, 2, tzinfo=UTC), cod=150)
    after = f.monitoring(outfall, sampled_at=datetime(2026, 6, 1, 2, tzinfo=UTC), cod=150)
    db.session.commit()
    outfall = services.outfall_detail(outfall.code)
    judged = {s.record.id: s for s in services.evaluate(outfall, [before, after])}
    assert judged[before.id].exceedances == []  # within the permit then
    [exceedance] = judged[after.id].exceedances
    assert (exceedance.indicator, exceedance.limit, exceedance.standard) == (
        "cod",
        100,
        "GB8978-1",
    )
    assert services.outfall_standard(outfall, date(2026, 6, 1)).code == "GB8978-1"
    assert services.outfall_standard(outfall, date(2025, 6, 1)).code == "PERMIT"
