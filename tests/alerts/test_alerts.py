"""Email alerts end to end on a real SMTP server (aiosmtpd): double opt-in, the daily
digest with RFC 8058 one-click unsubscribe, deleting everything, and the rate limits."""

import re

import pytest
from sqlalchemy import func, select

from portal.alerts.models import AlertSubscriber, AlertSubscription
from portal.extensions import db
from portal.notify.models import OutboxMessage
from tests import factories

ADDRESS = "follower@example.test"


@pytest.fixture
def mail_app(make_app, smtp_server, tmp_path):
    return make_app(
        WTF_CSRF_ENABLED=True,
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_FROM="钦州市排污口信息公开平台 <noreply@pwk.example.test>",
        NOTIFY_LOCK_FILE=str(tmp_path / "deliver.lock"),
    )


def _seed(app, factory, **kw):
    with app.app_context():
        result = factory(**kw)
        db.session.commit()
        return result


def _subscribe(client, kind, target, email=ADDRESS):
    page = client.get(f"/alerts/subscribe?kind={kind}&target={target}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    return client.post(
        "/alerts/subscribe",
        data={"csrf_token": token.group(1), "email": email, "kind": kind, "target": target},
    )


def _mails_to(smtp_server, address=ADDRESS):
    return [m for m in smtp_server.messages if m["To"] == address]


def _deliver(app):
    result = app.test_cli_runner().invoke(args=["portal", "deliver"])
    assert result.exit_code == 0, result.output


def _send_alerts(app) -> str:
    result = app.test_cli_runner().invoke(args=["portal", "alerts", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def _path(url: str) -> str:
    assert url.startswith("https://pwk.example.test/")
    return url.removeprefix("https://pwk.example.test")


def test_double_opt_in_digest_and_one_click_unsubscribe(mail_app, smtp_server):
    client = mail_app.test_client()
    code = _seed(mail_app, lambda: factories.outfall(lat=21.95, lon=108.62).code)

    response = _subscribe(client, "outfall", code)
    assert response.status_code == 200
    assert ADDRESS not in response.get_data(as_text=True)  # never shown back
    _deliver(mail_app)
    [confirmation] = _mails_to(smtp_server)
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"https://pwk\.example\.test/alerts/confirm/\S+", confirmation.get_content())

    # Before the confirmation nothing is sent, whatever happens at the outfall.
    _seed(mail_app, factories.complaint, outfall=code, email="someone@example.test")
    assert "0 digests" in _send_alerts(mail_app)

    confirm_path = _path(link.group(0))
    page = client.get(confirm_path)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post(confirm_path, data={"csrf_token": token}).status_code == 200

    receipt_no = _seed(
        mail_app,
        lambda: factories.complaint(outfall=code, email="other@example.test").complaint.tracking_no,
    )
    assert "1 digests" in _send_alerts(mail_app)
    _deliver(mail_app)
    digest = _mails_to(smtp_server)[-1]
    assert receipt_no in digest.get_content()
    header = digest["List-Unsubscribe"]
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = re.fullmatch(r"<(https://[^>]+)>", header).group(1)
    assert unsubscribe_url in digest.get_content()  # the same link in the text

    # At most one digest a day.
    _seed(mail_app, factories.complaint, outfall=code, email="third@example.test")
    assert "0 digests" in _send_alerts(mail_app)

    # Addresses never reach a feed or a download.
    for url in (
        f"/outfalls/{code}/feed.atom",
        "/complaints/feed.atom",
        "/data/outfalls.csv",
        "/data/complaints.csv",
        "/data/complaints.geojson",
        "/data/",
    ):
        assert ADDRESS not in client.get(url).get_data(as_text=True), url

    path = _path(unsubscribe_url)
    assert client.get(path).status_code == 200
    # A forged token changes nothing; the mail client's one-click POST has no CSRF token.
    assert client.post(path + "x", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with mail_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AlertSubscriber)) == 0
        assert db.session.scalar(select(func.count()).select_from(AlertSubscription)) == 0


def test_delete_everything_removes_the_address_and_its_alert_mail(mail_app, smtp_server):
    client = mail_app.test_client()
    code = _seed(mail_app, lambda: factories.outfall().code)
    _subscribe(client, "outfall", code)
    _deliver(mail_app)
    _subscribe(client, "outfall", code)  # a second confirmation, still in the outbox
    [mail] = _mails_to(smtp_server)
    forget = re.search(r"https://pwk\.example\.test/alerts/forget/\S+", mail.get_content())
    assert client.get(_path(forget.group(0))).status_code == 200
    assert client.post(_path(forget.group(0))).status_code == 200
    with mail_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AlertSubscriber)) == 0
        recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
        assert ADDRESS not in recipients


def test_confirmation_mails_per_address_are_limited(mail_app, smtp_server):
    client = mail_app.test_client()
    codes = _seed(mail_app, lambda: [factories.outfall().code for _n in range(5)])
    for code in codes:
        assert _subscribe(client, "outfall", code).status_code == 200
    with mail_app.app_context():
        sent = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient == ADDRESS)
        )
    assert sent == mail_app.config["ALERTS_CONFIRMATIONS_PER_DAY"] == 3


def test_subscription_requests_per_client_address_are_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, ALERTS_SUBSCRIBE_RATE_LIMIT="2 per hour")
    client = app.test_client()
    code = _seed(app, lambda: factories.outfall().code)
    statuses = [
        client.post(
            "/alerts/subscribe",
            data={"email": f"a{n}@example.test", "kind": "outfall", "target": code},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_unknown_targets_and_bad_addresses_are_refused(client, seed):
    code = seed(lambda: factories.outfall().code)
    assert client.get("/alerts/subscribe?kind=outfall&target=NOPE0000").status_code == 404
    assert client.get("/alerts/subscribe?kind=planet&target=1").status_code == 404
    response = client.post(
        "/alerts/subscribe", data={"email": "not-an-address", "kind": "outfall", "target": code}
    )
    assert response.status_code == 200 and "field-error" in response.get_data(as_text=True)
    assert client.get("/alerts/confirm/garbage").status_code == 404
    assert client.post("/alerts/forget/garbage").status_code == 404
