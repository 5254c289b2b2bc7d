"""Date helpers behind airflow.utils.dates and string start dates."""
from __future__ import annotations

import datetime as _dt
from typing import Any

from airflow._core.timezones import UTC


def parse_datetime(text: str) -> _dt.datetime:
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        return _dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"cannot read {text!r} as an ISO-8601 date/time") from None


def days_ago(n: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> Any:
    """Midnight UTC today minus n days (Airflow 2's airflow.utils.dates.days_ago)."""
    today = _dt.datetime.now(UTC).replace(hour=hour, minute=minute, second=second, microsecond=microsecond)
    return today - _dt.timedelta(days=n)


def to_seconds(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, _dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValueError(f"{field} must be a datetime.timedelta or a number of seconds, got {type(value).__name__}")
    return int(seconds) if seconds == int(seconds) else seconds
