"""The one place that reads the wall clock."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Current time as an aware UTC datetime."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in China Standard Time, where deadlines and plans are dated."""
    return utcnow().astimezone(LOCAL_TZ).date()


def local_date(moment: datetime) -> date:
    """The calendar date of an aware moment in China Standard Time.

    Raises:
        ValueError: the datetime is naive, so its local date is a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: its local date is unknown")
    return moment.astimezone(LOCAL_TZ).date()


def stored_moment(value: datetime | str) -> datetime:
    """A moment as a query hands it back raw (SQLite: naive UTC text, PostgreSQL: aware), or
    a datetime, as an aware datetime (naive is UTC, as the database keeps it)."""
    if type(value) is str:
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def local_iso(moment: datetime | str | None) -> str | None:
    """A moment in ISO 8601 with China's offset (+08:00), whole seconds (None stays None);
    also from a stored moment read raw (`stored_moment`)."""
    if moment is None:
        return None
    return stored_moment(moment).astimezone(LOCAL_TZ).isoformat(timespec="seconds")
