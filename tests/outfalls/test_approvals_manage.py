"""Staff publish, correct, supersede and revoke decisions with PDFs (/manage/…)."""

from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.outfalls.models import (
    Approval,
    ApprovalDocument,
    ApprovalState,
    LedgerEntry,
    Outfall,
    WaterKind,
)
from tests import factories as f
from tests.outfalls.records_support import (
    approval_form,
    make_desk,
    plain_pdf,
    with_attachment,
)
from tests.unit.test_pdfcheck import REFUSED


@pytest.fixture
def desk(client, seed):
    return make_desk(client, seed)


def _post_new(client, code, files=(), **kw):
    data = approval_form(**kw)
    if files:
        data["documents"] = [(BytesIO(body), name) for body, name in files]
    return client.post(
        f"/manage/outfalls/{code}/approvals/new", data=data, content_type="multipart/form-data"
    )


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_staff_publish_a_decision_with_a_pdf_and_the_public_sees_it(app, client, desk):
    assert client.get(f"/manage/outfalls/{desk.code}/approvals/new").status_code == 200
    body = plain_pdf("Approval")
    r = _post_new(client, desk.code, files=[(body, "设置审批决定书.pdf")])
    assert r.status_code == 303
    assert r.headers["Location"] == f"/manage/outfalls/{desk.code}/records"
    with app.app_context():
        approval = db.session.scalars(select(Approval)).one()
        assert approval.state is ApprovalState.current
        assert approval.limits == {"cod": 40.0, "nh3n": 5.0, "ph_min": 6.0, "ph_max": 9.0}
        doc = approval.documents[0]
        assert doc.title == "设置审批决定书" and doc.size == len(body)
        doc_url = f"/documents/{doc.id}/{doc.filename}"
        entry = db.session.scalars(select(LedgerEntry)).one()
        assert (entry.chain, entry.subject_kind, entry.action) == (
            f"outfall:{desk.outfall_id}",
            "approval",
            "approval_created",
        )
    page = client.get(f"/outfalls/{desk.code}").get_data(as_text=True)
    assert "钦环审〔2026〕7号" in page and doc_url in page
    assert "Approved, registered or filed" in page  # legal status
    with client.get(doc_url) as r:
        assert r.status_code == 200 and r.data == body
    records = client.get(f"/manage/outfalls/{desk.code}/records")
    assert records.status_code == 200
    assert records.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_refused_pdf_stores_nothing(app, client, desk, case):
    make, _reason = REFUSED[case]
    r = _post_new(client, desk.code, files=[(make(), "decision.pdf")])
    assert r.status_code == 400
    assert 'class="field-error" id="documents-error"' in r.get_data(as_text=True)
    assert _count(app, Approval) == 0 and _count(app, ApprovalDocument) == 0
    assert _count(app, LedgerEntry) == 0
    assert _stored_files(app) == []


def test_refusal_messages_say_what_to_do(client, desk):
    page = _post_new(client, desk.code, files=[(with_attachment(), "a.pdf")]).get_data(as_text=True)
    assert "contains embedded files or attachments" in page
    page = _post_new(client, desk.code, files=[(b"GIF89a", "a.pdf")]).get_data(as_text=True)
    assert "not a PDF document" in page
    # What was typed is kept.
    assert 'value="钦环审〔2026〕7号"' in page


def test_a_pdf_over_the_limit_is_refused_with_the_limit(make_app):
    app = make_app(APPROVAL_PDF_MAX_MB=0.001)  # about 1 KB
    client = app.test_client()

    def _seed(factory):
        with app.app_context():
            result = factory()
            db.session.commit()
            return result

    desk = make_desk(client, lambda factory: _seed(factory))
    r = _post_new(client, desk.code, files=[(plain_pdf("x" * 40) + b"%" * 2048, "big.pdf")])
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "documents may be at most 0.001 MB" in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"decided_on": "2999-01-01"}, "decided_on", "cannot be in the future"),
        ({"valid_until": "2020-01-01"}, "valid_until", "cannot end before"),
        ({"ph_max": None}, "ph_min", "both ends of the pH range"),
        ({"ph_min": "9", "ph_max": "6"}, "ph_min", "between 0 and 14, low before high"),
        ({"limit_cod": "-1"}, "limit_cod", "cannot be negative"),
        ({"volume": "-5"}, "volume", "cannot be negative"),
        ({"decision_no": ""}, "decision_no", "Enter the decision number"),
        ({"kind": "filing"}, "kind", "Not a valid choice"),
    ],
)
def test_impossible_decisions_are_refused_next_to_their_field(
    app, client, desk, fields, field, message
):
    r = _post_new(client, desk.code, **fields)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert _count(app, Approval) == 0


def test_a_sea_outfall_is_only_filed(client, seed):
    desk = make_desk(client, seed, water_kind=WaterKind.sea)
    page = client.get(f"/manage/outfalls/{desk.code}/approvals/new").get_data(as_text=True)
    assert 'value="filing"' in page and 'value="approval"' not in page
    assert _post_new(client, desk.code, kind="registration").status_code == 400
    assert _post_new(client, desk.code, kind="filing", valid_until=None).status_code == 303


def _published(app, client, desk) -> int:
    assert _post_new(client, desk.code, files=[(plain_pdf(), "d.pdf")]).status_code == 303
    with app.app_context():
        return db.session.scalars(select(Approval.id)).one()


def test_a_correction_keeps_the_old_version_and_says_so(app, client, desk):
    old_id = _published(app, client, desk)
    form = client.get(f"/manage/approvals/{old_id}/correct").get_data(as_text=True)
    assert 'value="钦环审〔2026〕7号"' in form  # the stored values to correct
    data = approval_form(decision_no="钦环审〔2026〕8号")
    r = client.post(f"/manage/approvals/{old_id}/correct", data=data)
    assert r.status_code == 400 and 'id="reason-error"' in r.get_data(as_text=True)
    r = client.post(f"/manage/approvals/{old_id}/correct", data=data | {"reason": "文号录入错误"})
    assert r.status_code == 303
    with app.app_context():
        old = db.session.get(Approval, old_id)
        new = db.session.scalars(select(Approval).where(Approval.id != old_id)).one()
        assert old.state is ApprovalState.corrected and old.decision_no == "钦环审〔2026〕7号"
        assert new.state is ApprovalState.current and new.replaces_id == old_id
        assert new.corrected_on is not None and new.change_reason == "文号录入错误"
        # The document stays with the corrected version (same stored file).
        assert [d.sha256 for d in new.documents] == [d.sha256 for d in old.documents]
        actions = db.session.scalars(select(LedgerEntry.action)).all()
    assert actions.count("approval_corrected") == 2
    page = client.get(f"/outfalls/{desk.code}").get_data(as_text=True)
    assert "钦环审〔2026〕8号" in page and "文号录入错误" in page
    assert "earlier version" in page and "钦环审〔2026〕7号" in page
    # The corrected version can no longer be changed.
    r = client.post(f"/manage/approvals/{old_id}/correct", data=data | {"reason": "again"})
    assert r.status_code == 400


def test_supersede_and_revoke(app, client, desk):
    old_id = _published(app, client, desk)
    renewal = approval_form(
        decision_no="钦环审〔2026〕20号", decided_on="2026-06-01", reason="延续"
    )
    r = client.post(
        f"/manage/approvals/{old_id}/supersede",
        data=renewal | {"documents": (BytesIO(plain_pdf("Renewal")), "renewal.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    with app.app_context():
        new = db.session.scalars(
            select(Approval).where(Approval.state == ApprovalState.current)
        ).one()
        assert db.session.get(Approval, old_id).state is ApprovalState.superseded
        assert len(new.documents) == 1
        new_id = new.id
    older = approval_form(decided_on="2025-01-01", reason="x")
    assert client.post(f"/manage/approvals/{new_id}/supersede", data=older).status_code == 400

    assert client.get(f"/manage/approvals/{new_id}/revoke").status_code == 200
    r = client.post(f"/manage/approvals/{new_id}/revoke", data={"revoked_on": "2026-07-01"})
    assert r.status_code == 400  # no reason
    r = client.post(
        f"/manage/approvals/{new_id}/revoke",
        data={"revoked_on": "2026-01-01", "reason": "企业关停"},
    )
    assert r.status_code == 400  # before the decision
    r = client.post(
        f"/manage/approvals/{new_id}/revoke",
        data={"revoked_on": "2026-07-01", "reason": "企业关停"},
    )
    assert r.status_code == 303
    page = client.get(f"/outfalls/{desk.code}").get_data(as_text=True)
    assert "Revoked on" in page and "企业关停" in page
    assert "Required decision missing" in page  # nothing current is left
    assert _count(app, Approval) == 2  # nothing deleted


def test_another_departments_records_answer_404(app, client, seed, desk):
    def theirs():
        outfall = db.session.get(Outfall, desk.other_outfall_id)
        approval = f.approval(outfall)
        record = f.monitoring(outfall)
        return approval.id, record.id

    approval_id, record_id = seed(theirs)
    urls = [
        f"/manage/outfalls/{desk.other_code}/records",
        f"/manage/outfalls/{desk.other_code}/approvals/new",
        f"/manage/approvals/{approval_id}/correct",
        f"/manage/approvals/{approval_id}/supersede",
        f"/manage/approvals/{approval_id}/revoke",
        f"/manage/outfalls/{desk.other_code}/monitoring/new",
        f"/manage/monitoring/{record_id}/correct",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        if not url.endswith("/records"):
            assert client.post(url, data={"reason": "x"}).status_code == 404, url
    with app.app_context():
        assert db.session.get(Approval, approval_id).state is ApprovalState.current


def test_anonymous_and_admin_are_kept_out(client, seed):
    from portal.agencies.models import Role

    urls = ["/manage/monitoring/upload", "/manage/monitoring/template.csv"]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 302 and "/staff/login" in r.headers["Location"]
    make_desk(client, seed, role=Role.admin)
    for url in urls:
        assert client.get(url).status_code == 403


def test_the_data_officer_edits_any_outfall(client, seed):
    from portal.agencies.models import Role

    desk = make_desk(client, seed, role=Role.data_officer)
    assert client.get(f"/manage/outfalls/{desk.other_code}/records").status_code == 200
    assert _post_new(client, desk.other_code).status_code == 303
