"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, as the `smtp_server` fixture.

Use it with `from tests.smtp_server import smtp_server  # noqa: F401` in a test module, or make
it available everywhere by importing the fixture the same way in tests/conftest.py.
"""

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

HOST = "127.0.0.1"


def _drop_login_data_notice(record: logging.LogRecord) -> bool:
    # aiosmtpd 1.4 warns about its own internal use of Session.login_data on every AUTH.
    return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_drop_login_data_notice)


class _EphemeralPortController(Controller):
    """aiosmtpd's Controller, bound to a port the OS picks (port=0) instead of a fixed one."""

    def _trigger_server(self) -> None:
        # start() probes self.port to check the server answers; learn the real port first.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Handler:
    """Collects every accepted message; refuses the recipients the test asked it to."""

    def __init__(self, server: "SMTPTestServer") -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.server.refused:
            return self.server.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.server.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPTestServer:
    """A running aiosmtpd server; `messages` holds what it received, parsed and decoded."""

    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.host = HOST
        self.port = 0  # chosen by the OS at the first start, then kept across restarts
        self.credentials = credentials
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self.refused: dict[str, str] = {}
        self._controller: Controller | None = None

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        """Answer RCPT TO for `address` with `reply` (4xx or 5xx)."""
        self.refused[address] = reply

    def start(self) -> None:
        """Listen (again on the same port after a stop(), so senders keep their settings)."""
        assert self._controller is None, "already running"
        kwargs = {}
        if self.credentials is not None:
            # Plain-text AUTH is fine on loopback; it lets tests check that senders log in.
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False}
        controller = _EphemeralPortController(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="localhost",
            **kwargs,
        )
        controller.start()
        self.port = controller.port
        self._controller = controller

    def stop(self) -> None:
        """Stop listening and join the server thread."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login = auth_data.login.decode()
        if (login, auth_data.password.decode()) != self.credentials:
            return AuthResult(success=False, handled=False)
        self.logins.append(login)
        return AuthResult(success=True)


def closed_port() -> int:
    """A loopback port nothing listens on (just released by the OS), for refused connections."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[SMTPTestServer]:
    """A real SMTP server on 127.0.0.1 for one test; stopped (thread joined) afterwards."""
    server = SMTPTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
