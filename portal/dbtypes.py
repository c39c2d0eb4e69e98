"""Column types shared by every domain's models."""

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Enum, String, Text, TypeDecorator, cast
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from .core.clock import LOCAL_TZ


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


class local_iso_text(FunctionElement):  # noqa: N801 - used as a SQL function
    """A stored UTCDateTime as ISO 8601 text in China time with whole seconds, written by the
    database: the text `core.clock.local_iso` writes for it (NULL stays NULL), without a
    conversion of each row's moment in Python (a thousand Open311 requests carry three).

    China has kept +08:00 all year since 1991; the portal stores no earlier moment.
    Fractions of a second are cut, as `isoformat(timespec="seconds")` cuts them.
    """

    type = String()
    inherit_cache = True
    name = "local_iso_text"


@compiles(local_iso_text, "sqlite")
def _local_iso_sqlite(element, compiler, **kw):
    # SQLite keeps naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff": its first 19 characters are
    # the whole seconds (strftime would round a fraction of .9995 up to the next second).
    moment = compiler.process(element.clauses, **kw)
    return f"strftime('%Y-%m-%dT%H:%M:%S+08:00', substr({moment}, 1, 19), '+8 hours')"


@compiles(local_iso_text, "postgresql")
def _local_iso_postgresql(element, compiler, **kw):
    moment = compiler.process(element.clauses, **kw)
    return (
        f"to_char({moment} AT TIME ZONE '{LOCAL_TZ.key}', "
        """'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')"""
    )


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
