"""The public outfall page and the QR landing /o/<code> show the sign-off steps with dates,
and the documents only once the outfall is signed off; the landing stays within its budget."""

from datetime import date

import pytest
from sqlalchemy import event

from portal.agencies.models import Role
from portal.extensions import db
from portal.remediation.documents import Upload
from portal.remediation.models import DocumentKind
from portal.remediation.services import StepForm, complete_milestone, take_step
from portal.remediation.signoff import Action
from tests import factories as f
from tests.staff import staff_member

EN = {"Accept-Language": "en"}
DAY = date(2025, 6, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name) -> Upload:
    return Upload(DocumentKind.pdf, PDF + name.encode(), name, "application/pdf")


def _through(outfall, last: Action):
    dept = outfall.supervising_department
    plan = f.plan(outfall, identified_on=date(2024, 1, 1))
    staff = staff_member(Role.staff, display_name="张三", email="zhangsan@example.org")
    staff.department_id = dept.id
    head = staff_member(Role.head, display_name="李四")
    head.department_id = dept.id
    coordinator = staff_member(Role.coordinator, totp=True, display_name="王五")
    db.session.flush()
    complete_milestone(staff, plan, plan.milestones[0], DAY, "完成", [pdf("m.pdf")], DAY)
    take_step(staff, plan, Action.submit, StepForm(DAY, uploads=[pdf("proof.pdf")]), DAY)
    if last is Action.submit:
        return
    form = StepForm(DAY, document_number="钦住建函〔2025〕9号", document_date=DAY)
    form.uploads = [pdf("confirmation.pdf")]
    take_step(head, plan, Action.confirm, form, DAY)
    take_step(coordinator, plan, Action.approve, StepForm(DAY), DAY)


@pytest.fixture
def codes(seed):
    def make():
        signed, pending = f.outfall(), f.outfall()
        _through(signed, Action.approve)
        _through(pending, Action.submit)
        return signed.code, pending.code

    return seed(make)


def _queries(app, client, url):
    statements = []
    with app.app_context():
        engine = db.engine
    follower = app.extensions["registry_catchup"]
    follower.next_at = follower.clock() + 3600

    def count(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get(url, headers=EN).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return page, len(statements)


def test_the_landing_shows_the_steps_and_after_sign_off_the_documents(app, client, codes):
    signed, pending = codes
    page, queries = _queries(app, client, f"/o/{signed}")
    assert queries <= 3  # the steps and their documents come with the outfall (DESIGN §4)
    for text in ("Proof submitted", "Confirmed by the supervising department", "signed off"):
        assert text in page, text
    assert "/proof.pdf" in page and "/confirmation.pdf" in page
    for private in ("张三", "李四", "王五", "zhangsan@example.org"):
        assert private not in page
    page, _n = _queries(app, client, f"/o/{pending}")
    assert "Proof submitted" in page and "/proof.pdf" not in page


def test_the_outfall_page_publishes_the_documents_only_after_sign_off(app, client, codes):
    signed, pending = codes
    page = client.get(f"/outfalls/{signed}", headers=EN).get_data(as_text=True)
    assert "钦住建函〔2025〕9号" in page and "/confirmation.pdf" in page
    assert "张三" not in page and "zhangsan@example.org" not in page
    page = client.get(f"/outfalls/{pending}", headers=EN).get_data(as_text=True)
    assert "Proof submitted" in page and "/proof.pdf" not in page
    assert "The documents are published once the outfall is signed off." in page
