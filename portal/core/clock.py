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
