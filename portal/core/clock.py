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
