"""Zones and instants as the serialised DAG carries them: IANA names and ISO-8601 UTC strings."""
from __future__ import annotations

import datetime as _dt
from typing import Any

UTC = _dt.timezone.utc


def zone_name(tz: Any) -> str:
    """The IANA name of a tzinfo / pendulum zone / name string. A fixed offset of whole hours becomes
    `Etc/GMT±N` (POSIX sign: UTC+2 is Etc/GMT-2); any other offset is refused."""
    if tz is None:
        return "UTC"
    if isinstance(tz, str):
        return "UTC" if tz.upper() in ("UTC", "Z", "ETC/UTC") else tz
    for attr in ("key", "name", "zone"):
        value = getattr(tz, attr, None)
        if isinstance(value, str) and value and not value.startswith(("+", "-")):
            return "UTC" if value in ("UTC", "Etc/UTC") else value
    filename = getattr(tz, "_filename", None)  # dateutil's tz.gettz("Europe/Paris")
    if isinstance(filename, str) and filename:
        return filename.split("zoneinfo/", 1)[-1].lstrip("/")
    offset = tz.utcoffset(None)
    if offset is None:
        raise ValueError(f"cannot tell the time zone of {tz!r}")
    seconds = int(offset.total_seconds())
    if seconds == 0:
        return "UTC"
    if seconds % 3600:
        raise ValueError(
            f"fixed UTC offset {tz} is not a whole number of hours; use an IANA zone name "
            f"(pendulum.timezone('Asia/Kolkata'), zoneinfo.ZoneInfo(...))"
        )
    hours = seconds // 3600
    return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"


def get_zone(name: str) -> Any:
    if name == "UTC":
        return UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def to_utc_iso(value: Any, naive_zone: str) -> str:
    """ISO-8601 UTC (`...Z`) of a datetime; a naive one is read in `naive_zone`. A date is midnight."""
    if isinstance(value, str):
        from airflow._core.dates import parse_datetime

        value = parse_datetime(value)
    if not isinstance(value, _dt.datetime):
        if isinstance(value, _dt.date):
            value = _dt.datetime(value.year, value.month, value.day)
        else:
            raise ValueError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=get_zone(naive_zone))
    utc = value.astimezone(UTC)
    text = _dt.datetime(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond).isoformat()
    return text + "Z"


def datetime_zone(value: Any) -> str | None:
    """The zone name of an aware datetime, else None."""
    if isinstance(value, _dt.datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        return zone_name(value.tzinfo)
    return None
