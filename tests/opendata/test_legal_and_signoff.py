"""The outfalls download carries the legal status the outfall pages show (legal.assess) and
the remediation state; the sign-off steps (销号) are a dataset of their own."""

import csv
import io
from datetime import date, timedelta

from portal.core.clock import local_today
from portal.opendata.datasets import DATASETS
from portal.outfalls.models import ApprovalKind, RemediationStatus, WaterKind
from portal.remediation.models import SignoffStep
from portal.remediation.signoff import Action
from tests import factories


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def _world():
    today = local_today()
    ok = factories.outfall()
    factories.approval(ok, decision_no="钦环审〔2024〕7号")
    expired = factories.outfall()
    factories.approval(
        expired,
        decision_no="钦环审〔2020〕3号",
        decided_on=date(2020, 1, 1),
        valid_until=today - timedelta(days=10),
    )
    missing = factories.outfall()
    # A registration where a setting approval is needed counts as none.
    factories.approval(missing, kind=ApprovalKind.registration, decision_no="登记-1")
    sea = factories.outfall(water_kind=WaterKind.sea)
    plan = factories.plan(ok, status=RemediationStatus.signoff_submitted)
    dept = factories.department(name="市工业和信息化局")
    factories._add(
        SignoffStep(plan_id=plan.id, action=Action.submit, occurred_on=date(2026, 11, 2))
    )
    factories._add(
        SignoffStep(
            plan_id=plan.id,
            action=Action.confirm,
            occurred_on=date(2026, 11, 9),
            department_id=dept.id,
            document_number="钦工信函〔2026〕12号",
            document_date=date(2026, 11, 8),
            reason="已完成规范化整治",
        )
    )
    return {
        "ok": ok.code,
        "expired": expired.code,
        "missing": missing.code,
        "sea": sea.code,
        "expired_on": (today - timedelta(days=10)).isoformat(),
    }


def test_outfalls_carry_the_legal_status_and_the_decision(client, seed):
    world = seed(_world)
    rows = {r["code"]: r for r in _csv(client.get("/data/outfalls.csv"))}
    flags = {
        name: (
            rows[world[name]]["legal_status"],
            rows[world[name]]["required_decision"],
            rows[world[name]]["legal_decision_no"],
            rows[world[name]]["legal_expired_on"],
        )
        for name in ("ok", "expired", "missing", "sea")
    }
    assert flags == {
        "ok": ("ok", "approval", "钦环审〔2024〕7号", ""),
        "expired": ("expired", "approval", "钦环审〔2020〕3号", world["expired_on"]),
        "missing": ("missing", "approval", "", ""),
        "sea": ("missing", "filing", "", ""),
    }
    assert rows[world["ok"]]["remediation_status"] == "signoff_submitted"
    # The same flags as the list page's legal filter gives.
    listed = client.get("/outfalls/?legal=expired")
    assert world["expired"] in listed.get_data(as_text=True)
    assert world["ok"] not in listed.get_data(as_text=True)


def test_the_legal_flags_match_the_list_filter_for_every_status(client, seed):
    seed(_world)
    rows = _csv(client.get("/data/outfalls.csv"))
    for status in ("ok", "expired", "missing"):
        page = client.get(f"/outfalls/?legal={status}").get_data(as_text=True)
        for row in rows:
            assert (row["code"] in page) == (row["legal_status"] == status), (status, row["code"])


def test_signoff_steps_are_a_dataset_with_their_documents_numbers(client, seed):
    world = seed(_world)
    rows = _csv(client.get("/data/remediation_signoff.csv"))
    assert [(r["action"], r["occurred_on"], r["outfall_code"]) for r in rows] == [
        ("submit", "2026-11-02", world["ok"]),
        ("confirm", "2026-11-09", world["ok"]),
    ]
    confirm = rows[1]
    assert confirm["department"] == "市工业和信息化局"
    assert confirm["document_number"] == "钦工信函〔2026〕12号"
    assert confirm["document_date"] == "2026-11-08"
    assert "staff_id" not in confirm  # who clicked is not published, the department is


def test_new_fields_are_explained_in_both_languages(client):
    names = {c.name for c in DATASETS["outfalls"].exported}
    assert {"legal_status", "required_decision", "legal_decision_no", "legal_expired_on"} <= names
    assert not any(n.startswith("_") for n in names)
    zh = client.get("/data/", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    en = client.get("/data/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Remediation sign-off steps" in en and "整治销号步骤" in zh
    assert "Decision it needs" in en and "需要的决定" in zh


def test_the_etag_changes_with_an_approval(client, seed):
    world = seed(_world)
    first = client.get("/data/outfalls.csv").headers["ETag"]

    def expire_more():
        from sqlalchemy import select

        from portal.extensions import db
        from portal.outfalls.models import Outfall

        outfall = db.session.scalars(select(Outfall).where(Outfall.code == world["missing"])).one()
        factories.approval(outfall, decision_no="钦环审〔2026〕9号")

    seed(expire_more)
    assert client.get("/data/outfalls.csv").headers["ETag"] != first
