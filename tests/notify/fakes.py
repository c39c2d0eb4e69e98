"""In-memory senders for outbox tests, and backends for the SMS_BACKEND setting."""

from collections.abc import Mapping

from portal.notify.models import OutboxMessage


class RecordingSender:
    """Records the ids it was asked to send; raises `error` instead while one is set."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.sent: list[int] = []
        self.error = error

    def send(self, message: OutboxMessage) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append(message.id)


class ConfiguredSMSSender(RecordingSender):
    """A plugged SMS backend (SMS_BACKEND="tests.notify.fakes:ConfiguredSMSSender")."""

    def __init__(self, config: Mapping) -> None:
        super().__init__()
        self.config = config


class NotASender:
    """Instantiable with the config but has no send()."""

    def __init__(self, config: Mapping) -> None:
        self.config = config
