"""Column types shared by every domain's models."""

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Enum, Text, TypeDecorator, cast


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use core.clock.utcnow()")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: store naive UTC there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(enum_cls: type[enum.Enum], length: int = 24) -> Enum:
    """A portable VARCHAR + CHECK enum column that stores the members' values."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class _PostgresJSONText(TypeDecorator):
    impl = Text
    cache_ok = True

    def bind_expression(self, bindvalue):
        return cast(bindvalue, JSON)


# JSON already encoded (text in, stored as the JSON column's value): for a bulk insert that
# wrote the text once for another purpose (the ledger's hash). Only for inserts.
JSON_TEXT = Text().with_variant(_PostgresJSONText(), "postgresql")
