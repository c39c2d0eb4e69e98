"""SMS logging without phone numbers, and the senders the settings build."""

import logging
from datetime import UTC, datetime

import pytest

import portal.notify.models  # noqa: F401  (registers the table until portal/models.py does)
from portal.extensions import db
from portal.notify.models import Channel, OutboxMessage
from portal.notify.senders import (
    DEFAULT_MAIL_FROM,
    LogSMSSender,
    SMTPSender,
    mask_phone,
    senders_from_config,
)
from portal.notify.services import DeliveryReport, deliver_due, enqueue_sms
from tests.notify.fakes import ConfiguredSMSSender

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("138 1234-5678", "138****5678"),
        ("07772812345", "077****2345"),
        ("2812345", "****345"),
        ("12369", "****9"),
        ("1234", "****"),
    ],
)
def test_mask_phone_hides_the_middle_digits(number, masked):
    assert mask_phone(number) == masked


def test_log_sms_sender_logs_the_masked_number_and_length_only(caplog):
    body = "您的投诉TS-0001已办结，请评价：https://pwk.example.test/t/abc"
    message = OutboxMessage(id=1, channel=Channel.sms, recipient="13812345678", body=body)

    with caplog.at_level(logging.INFO, logger="portal.notify.sms"):
        LogSMSSender().send(message)

    [record] = caplog.records
    assert record.name == "portal.notify.sms"
    assert "138****5678" in caplog.text
    assert f"{len(body)} characters" in caplog.text
    assert "13812345678" not in caplog.text
    assert body not in caplog.text


def test_sms_goes_through_the_log_backend_by_default(app_ctx, caplog):
    message = enqueue_sms(db.session, "+86 13812345678", "您的投诉已受理。", NOW)

    with caplog.at_level(logging.INFO):
        report = deliver_due(db.session, NOW, senders_from_config({}))

    assert report == DeliveryReport(sent=1)
    assert message.sent_at == NOW
    assert "+86138****5678" in caplog.text
    assert "13812345678" not in caplog.text


def test_sms_backend_setting_plugs_in_another_sender_built_with_the_config():
    config = {"SMS_BACKEND": "tests.notify.fakes:ConfiguredSMSSender", "SMS_API_KEY": "k"}

    sms = senders_from_config(config)[Channel.sms]

    assert isinstance(sms, ConfiguredSMSSender)
    assert sms.config["SMS_API_KEY"] == "k"


@pytest.mark.parametrize(
    ("backend", "error"),
    [
        ("aliyun", ValueError),
        ("tests.notify.fakes:", ValueError),
        ("tests.notify.fakes:NoSuchSender", ValueError),
        ("tests.notify.fakes:NotASender", ValueError),
        ("tests.notify.no_such_module:Sender", ImportError),
    ],
)
def test_a_bad_sms_backend_setting_fails_loudly(backend, error):
    with pytest.raises(error):
        senders_from_config({"SMS_BACKEND": backend})


def test_mail_settings_configure_the_smtp_sender():
    config = {
        "MAIL_SERVER": "smtp.example.test",
        "MAIL_PORT": "587",
        "MAIL_USERNAME": "portal",
        "MAIL_PASSWORD": "s3cret",
        "MAIL_USE_STARTTLS": True,
        "MAIL_FROM": "钦州市排污口信息公开平台 <noreply@pwk.example.test>",
    }

    email = senders_from_config(config)[Channel.email]

    assert isinstance(email, SMTPSender)
    assert (email.host, email.port, email.username, email.password) == (
        "smtp.example.test",
        587,
        "portal",
        "s3cret",
    )
    assert (email.starttls, email.ssl, email.envelope_from) == (
        True,
        False,
        "noreply@pwk.example.test",
    )


def test_mail_settings_default_to_a_local_relay_and_the_log_sms_backend():
    senders = senders_from_config({})

    email = senders[Channel.email]
    assert (email.host, email.port, email.username, email.starttls, email.ssl) == (
        "localhost",
        25,
        None,
        False,
        False,
    )
    assert email.sender_address == DEFAULT_MAIL_FROM
    assert isinstance(senders[Channel.sms], LogSMSSender)
