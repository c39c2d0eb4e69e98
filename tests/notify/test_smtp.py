"""Email through a real SMTP server (aiosmtpd on 127.0.0.1): content, headers, failures."""

import smtplib
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

import portal.notify.models  # noqa: F401  (registers the table until portal/models.py does)
from portal.extensions import db
from portal.notify.models import Channel, OutboxMessage
from portal.notify.senders import SMTPSender, senders_from_config
from portal.notify.services import DeliveryReport, deliver_due, enqueue_email
from tests.smtp_server import SMTPTestServer

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MAIL_FROM = "钦州市排污口信息公开平台 <noreply@pwk.example.test>"
SUBJECT = "您的投诉（编号 TS-20261123-0001）已受理：钦江入海排污口异味"
BODY = (
    "您好：\n\n您反映的钦南区排污口异味问题已转交钦州市生态环境局办理。\n\n"
    "——钦州市排污口信息公开平台\n"
)


def _message(**overrides) -> OutboxMessage:
    fields = dict(
        id=42,
        channel=Channel.email,
        recipient="citizen@example.test",
        subject=SUBJECT,
        body=BODY,
        created_at=NOW,
    )
    fields.update(overrides)
    return OutboxMessage(**fields)


def _sender(server, **kw) -> SMTPSender:
    return SMTPSender(server.host, server.port, MAIL_FROM, **kw)


def _config(server, **overrides) -> dict:
    config = {"MAIL_SERVER": server.host, "MAIL_PORT": server.port, "MAIL_FROM": MAIL_FROM}
    config.update(overrides)
    return config


def test_chinese_subject_body_and_sender_name_arrive_intact(smtp_server):
    _sender(smtp_server).send(_message())

    [received] = smtp_server.messages
    assert received["Subject"] == SUBJECT
    assert received.get_content() == BODY
    [sender] = received["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "钦州市排污口信息公开平台",
        "noreply@pwk.example.test",
    )
    assert received["To"] == "citizen@example.test"
    assert smtp_server.envelopes == [("noreply@pwk.example.test", ["citizen@example.test"])]


def test_email_is_utf8_plain_text_with_date_and_message_id(smtp_server):
    _sender(smtp_server).send(_message())

    [received] = smtp_server.messages
    assert received.get_content_type() == "text/plain"
    assert received.get_content_charset() == "utf-8"
    assert received["MIME-Version"] == "1.0"
    date = parsedate_to_datetime(received["Date"])
    assert date == NOW and date.utcoffset() == timedelta(hours=8)  # China Standard Time
    message_id = received["Message-ID"].strip()  # long ids are folded onto their own line
    assert message_id.startswith("<") and message_id.endswith(".outbox42@pwk.example.test>")


def test_raw_email_is_7bit_so_any_relay_can_carry_it():
    raw = SMTPSender("127.0.0.1", 25, MAIL_FROM).build(_message()).as_bytes()
    assert raw.isascii()
    assert b"Content-Transfer-Encoding: base64" in raw


def test_outbox_email_is_delivered_through_a_real_smtp_server(app_ctx, smtp_server):
    message = enqueue_email(db.session, "citizen@example.test", SUBJECT, BODY, NOW)

    report = deliver_due(db.session, NOW, senders_from_config(_config(smtp_server)))

    assert report == DeliveryReport(sent=1)
    assert message.sent_at == NOW
    [received] = smtp_server.messages
    assert (received["Subject"], received.get_content()) == (SUBJECT, BODY)


def test_unreachable_smtp_server_is_retried_and_delivers_once_it_is_back(app_ctx, smtp_server):
    message = enqueue_email(db.session, "citizen@example.test", SUBJECT, BODY, NOW)
    senders = senders_from_config(_config(smtp_server))
    smtp_server.stop()

    assert deliver_due(db.session, NOW, senders) == DeliveryReport(retried=1)
    assert message.sent_at is None and message.attempts == 1
    assert message.last_error.startswith("ConnectionRefusedError")
    assert message.next_attempt_at == NOW + timedelta(minutes=1)

    smtp_server.start()  # same port: the mail server is back
    assert deliver_due(db.session, NOW + timedelta(seconds=59), senders).attempted == 0
    assert smtp_server.messages == []

    assert deliver_due(db.session, NOW + timedelta(minutes=1), senders) == DeliveryReport(sent=1)
    assert message.sent_at == NOW + timedelta(minutes=1)
    assert [m["Subject"] for m in smtp_server.messages] == [SUBJECT]


def test_recipient_refused_for_good_is_given_up_at_once(app_ctx, smtp_server):
    smtp_server.refuse("gone@example.test", "550 5.1.1 No such user")
    message = enqueue_email(db.session, "gone@example.test", SUBJECT, BODY, NOW)

    report = deliver_due(db.session, NOW, senders_from_config(_config(smtp_server)))

    assert report == DeliveryReport(failed=1)
    assert message.failed_at == NOW and message.attempts == 1
    assert "550" in message.last_error and "No such user" in message.last_error


def test_recipient_refused_for_now_is_retried(app_ctx, smtp_server):
    smtp_server.refuse("busy@example.test", "450 4.2.1 Mailbox busy, try later")
    message = enqueue_email(db.session, "busy@example.test", SUBJECT, BODY, NOW)

    report = deliver_due(db.session, NOW, senders_from_config(_config(smtp_server)))

    assert report == DeliveryReport(retried=1)
    assert message.failed_at is None and "450" in message.last_error


def test_sender_logs_in_with_the_configured_credentials():
    server = SMTPTestServer(credentials=("portal", "s3cret"))
    server.start()
    try:
        _sender(server, username="portal", password="s3cret").send(_message())
        with pytest.raises(smtplib.SMTPAuthenticationError):
            _sender(server, username="portal", password="wrong").send(_message())
    finally:
        server.stop()
    assert server.logins == ["portal"]
    assert len(server.messages) == 1


def test_starttls_setting_never_falls_back_to_clear_text(smtp_server):
    # The test server offers no STARTTLS, like a relay whose TLS is misconfigured.
    with pytest.raises(smtplib.SMTPNotSupportedError):
        _sender(smtp_server, starttls=True).send(_message())
    assert smtp_server.messages == []


def test_ssl_setting_speaks_tls_from_the_first_byte(smtp_server):
    with pytest.raises(OSError):  # ssl.SSLError: the plain-text server answers no handshake
        _sender(smtp_server, ssl=True, timeout=2).send(_message())
    assert smtp_server.messages == []


def test_starttls_and_ssl_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        SMTPSender("localhost", 25, MAIL_FROM, starttls=True, ssl=True)


@pytest.mark.parametrize("address", ["", "钦州市排污口信息公开平台", "noreply"])
def test_sender_address_must_contain_an_email_address(address):
    with pytest.raises(ValueError):
        SMTPSender("localhost", 25, address)
