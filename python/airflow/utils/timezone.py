"""airflow.utils.timezone: aware-datetime helpers (UTC unless told otherwise)."""
from __future__ import annotations

import datetime as _dt
from typing import Any

from airflow._core.dates import parse_datetime
from airflow._core.timezones import UTC, get_zone

utc = UTC


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(UTC)


def datetime(*args: Any, **kwargs: Any) -> _dt.datetime:
    """datetime.datetime, made aware in UTC when no tzinfo is given."""
    if "tzinfo" not in kwargs and len(args) < 8:
        kwargs["tzinfo"] = UTC
    return _dt.datetime(*args, **kwargs)


def is_localized(value: _dt.datetime) -> bool:
    return value.utcoffset() is not None


def is_naive(value: _dt.datetime) -> bool:
    return value.utcoffset() is None


def make_aware(value: _dt.datetime, timezone: Any = None) -> _dt.datetime:
    zone = get_zone(timezone) if isinstance(timezone, str) else (timezone or UTC)
    if value.utcoffset() is not None:
        raise ValueError(f"make_aware expects a naive datetime, got {value}")
    return value.replace(tzinfo=zone)


def make_naive(value: _dt.datetime, timezone: Any = None) -> _dt.datetime:
    zone = get_zone(timezone) if isinstance(timezone, str) else (timezone or UTC)
    return value.astimezone(zone).replace(tzinfo=None)


def convert_to_utc(value: _dt.datetime | None) -> _dt.datetime | None:
    if value is None:
        return None
    if value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def coerce_datetime(value: Any, tz: Any = None) -> Any:
    if value is None or not isinstance(value, _dt.datetime):
        return value
    return value if value.utcoffset() is not None else make_aware(value, tz)


def parse(text: str, timezone: Any = None) -> _dt.datetime:
    value = parse_datetime(text)
    return value if value.utcoffset() is not None else make_aware(value, timezone)


__all__ = ["utc", "utcnow", "datetime", "make_aware", "make_naive", "convert_to_utc", "coerce_datetime", "parse",
           "is_localized", "is_naive"]
