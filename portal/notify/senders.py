"""Delivery backends: email over SMTP, SMS through a pluggable sender chosen by a setting."""

import importlib
import logging
import re
import smtplib
import ssl as ssl_lib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Protocol

from ..core.clock import LOCAL_TZ
from .models import Channel, OutboxMessage

sms_log = logging.getLogger("portal.notify.sms")

# Mirrors DefaultConfig so the senders also work from a bare mapping (scripts, tests).
DEFAULT_MAIL_FROM = "入河入海排污口信息公开平台 <noreply@example.invalid>"


class Sender(Protocol):
    """Delivers one outbox message or raises; returning means the message was handed over."""

    def send(self, message: OutboxMessage) -> None: ...


class PermanentDeliveryError(Exception):
    """Raised by a sender when retrying cannot help (e.g. the mailbox does not exist)."""


class SMTPSender:
    """Plain-text UTF-8 email over SMTP, one connection per message."""

    def __init__(
        self,
        host: str,
        port: int,
        sender_address: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        timeout: float = 10,
        ssl_context: ssl_lib.SSLContext | None = None,
    ) -> None:
        """Check the settings once, so a bad MAIL_FROM fails at start-up, not per message.

        Raises:
            ValueError: both STARTTLS and SSL are asked for, or sender_address has no address.
        """
        if starttls and ssl:
            raise ValueError("choose STARTTLS or SSL, not both")
        envelope_from = parseaddr(sender_address)[1]
        if "@" not in envelope_from:
            raise ValueError(f"sender address without an email address: {sender_address!r}")
        self.host = host
        self.port = port
        self.sender_address = sender_address
        self.envelope_from = envelope_from
        self.username = username
        self.password = password
        self.starttls = starttls
        self.ssl = ssl
        self.timeout = timeout
        # Verifies the server's certificate and host name unless a deployment passes its own.
        self.ssl_context = ssl_context
        self._msgid_domain = envelope_from.rpartition("@")[2]

    def build(self, message: OutboxMessage) -> EmailMessage:
        """The email for an outbox message: headers RFC 2047-encoded, body base64 UTF-8."""
        email = EmailMessage()
        email["From"] = self.sender_address
        email["To"] = message.recipient
        email["Subject"] = message.subject
        # Dated when the announced change happened, in the portal's time zone.
        email["Date"] = format_datetime(message.created_at.astimezone(LOCAL_TZ))
        email["Message-ID"] = make_msgid(idstring=f"outbox{message.id}", domain=self._msgid_domain)
        for name, value in (message.headers or {}).items():
            email[name] = value
        # base64 keeps Chinese text 7-bit clean for relays that lack 8BITMIME.
        email.set_content(message.body, charset="utf-8", cte="base64")
        return email

    def send(self, message: OutboxMessage) -> None:
        """Send one message.

        Raises:
            PermanentDeliveryError: the server refused the recipient with a 5xx code.
            smtplib.SMTPException, OSError: anything else; worth retrying later.
        """
        email = self.build(message)
        try:
            with self._connect() as smtp:
                if self.starttls:
                    # Raises SMTPNotSupportedError rather than falling back to clear text.
                    smtp.starttls(context=self._context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email, from_addr=self.envelope_from, to_addrs=[message.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _reply in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentDeliveryError(f"recipient refused: {exc.recipients}") from exc
            raise

    def _connect(self) -> smtplib.SMTP:
        if self.ssl:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _context(self) -> ssl_lib.SSLContext:
        return self.ssl_context or ssl_lib.create_default_context()


def mask_phone(number: str) -> str:
    """A phone number safe for logs: 13812345678 -> 138****5678, short numbers mostly hidden."""
    digits = re.sub(r"[^\d+]", "", number)
    if len(digits) <= 4:
        return "*" * len(digits)
    # Four digits are always hidden; the prefix (operator, area or country code) and up to four
    # final digits stay visible, as on Chinese bank and courier slips.
    head = max(len(digits) - 8, 0)
    tail = min(4, len(digits) - head - 4)
    return digits[:head] + "****" + digits[len(digits) - tail :]


class LogSMSSender:
    """The default SMS backend: records that an SMS would go out, never the full number."""

    def __init__(self, config: Mapping | None = None) -> None:
        """Accept the config like any plugged backend, though nothing in it is needed."""

    def send(self, message: OutboxMessage) -> None:
        """Log the masked recipient and the length; the text itself may be personal."""
        sms_log.info(
            "SMS to %s (%d characters) logged, not sent: SMS_BACKEND is 'log'",
            mask_phone(message.recipient),
            len(message.body),
        )


def load_sms_backend(spec: str, config: Mapping) -> Sender:
    """Instantiate SMS_BACKEND: "log", or "package.module:ClassName" called with the config.

    Raises:
        ValueError: the setting is neither "log" nor a "module:Class" path to a sender class.
        ImportError: the module cannot be imported.
    """
    if spec == "log":
        return LogSMSSender(config)
    module_name, sep, class_name = spec.partition(":")
    if not (sep and module_name and class_name):
        raise ValueError(f"SMS_BACKEND must be 'log' or 'package.module:ClassName', not {spec!r}")
    backend_class = getattr(importlib.import_module(module_name), class_name, None)
    if backend_class is None:
        raise ValueError(f"SMS_BACKEND {spec!r}: {module_name} has no {class_name}")
    backend = backend_class(config)
    if not callable(getattr(backend, "send", None)):
        raise ValueError(f"SMS_BACKEND {spec!r} has no send(message) method")
    return backend


def senders_from_config(config: Mapping) -> dict[Channel, Sender]:
    """One sender per channel, built from the MAIL_* and SMS_BACKEND settings.

    Raises:
        ValueError: the mail or SMS settings are inconsistent (see SMTPSender, load_sms_backend).
    """
    email = SMTPSender(
        config.get("MAIL_SERVER") or "localhost",
        int(config.get("MAIL_PORT") or 25),
        config.get("MAIL_FROM") or DEFAULT_MAIL_FROM,
        username=config.get("MAIL_USERNAME") or None,
        password=config.get("MAIL_PASSWORD") or None,
        starttls=bool(config.get("MAIL_USE_STARTTLS")),
        ssl=bool(config.get("MAIL_USE_SSL")),
        timeout=float(config.get("MAIL_TIMEOUT") or 10),
    )
    return {
        Channel.email: email,
        Channel.sms: load_sms_backend(config.get("SMS_BACKEND") or "log", config),
    }
