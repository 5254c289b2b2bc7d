"""Timetable objects (their arguments only: TypeScript computes the runs) and the one function that
turns any `schedule=` value into the serialised ScheduleSpec (src/dag/model.ts)."""
from __future__ import annotations

import datetime as _dt
from typing import Any

from airflow._core.timezones import zone_name

PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


def _not_yet(feature: str) -> Exception:
    from airflow_serverless.errors import NotYetSupported

    return NotYetSupported(feature)


def _interval_seconds(value: Any, what: str) -> float:
    if type(value).__name__ == "relativedelta":
        raise _not_yet(f"a dateutil relativedelta as {what}")
    if not isinstance(value, _dt.timedelta):
        raise TypeError(f"{what} must be a datetime.timedelta, got {type(value).__name__}")
    seconds = value.total_seconds()
    return int(seconds) if seconds == int(seconds) else seconds


def _run_immediately(value: Any) -> bool | float:
    if isinstance(value, bool):
        return value
    return _interval_seconds(value, "run_immediately")


def _cron(expression: Any) -> tuple[str, str | None]:
    if not isinstance(expression, str):
        raise TypeError(f"a cron expression must be a string, got {type(expression).__name__}")
    text = expression.strip()
    if text in PRESETS:
        return PRESETS[text], text
    return " ".join(text.split()), None


class Timetable:
    """Base of the timetable classes; a user subclass (a custom timetable) is refused at parse."""

    description = ""
    periodic = True
    can_be_scheduled = True
    run_ordering = ("data_interval_end", "logical_date")

    def _spec(self) -> dict[str, Any]:
        raise _not_yet(f"custom timetable {type(self).__module__}.{type(self).__name__}")

    @property
    def summary(self) -> str:
        return type(self).__name__


class CronTriggerTimetable(Timetable):
    def __init__(self, cron: str, *, timezone: Any = "UTC", interval: Any = _dt.timedelta(), run_immediately: Any = False) -> None:
        self._expression = cron
        self._timezone = timezone
        self._interval = interval
        self._run_immediately = run_immediately

    def _spec(self) -> dict[str, Any]:
        expression, preset = _cron(self._expression)
        spec: dict[str, Any] = {"kind": "cron", "expression": expression, "preset": preset, "timetable": "trigger",
                                "timezone": zone_name(self._timezone)}
        seconds = _interval_seconds(self._interval, "CronTriggerTimetable interval")
        if seconds:
            spec["interval_seconds"] = seconds
        if self._run_immediately is not False:
            spec["run_immediately"] = _run_immediately(self._run_immediately)
        return spec


class MultipleCronTriggerTimetable(Timetable):
    def __init__(self, *crons: str, timezone: Any = "UTC", interval: Any = _dt.timedelta(), run_immediately: Any = False) -> None:
        if not crons:
            raise ValueError("MultipleCronTriggerTimetable needs at least one cron expression")
        self._crons = crons
        self._timezone = timezone
        self._interval = interval
        self._run_immediately = run_immediately

    def _spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"kind": "multi_cron", "expressions": [_cron(c)[0] for c in self._crons],
                                "timezone": zone_name(self._timezone)}
        seconds = _interval_seconds(self._interval, "MultipleCronTriggerTimetable interval")
        if seconds:
            spec["interval_seconds"] = seconds
        if self._run_immediately is not False:
            spec["run_immediately"] = _run_immediately(self._run_immediately)
        return spec


class CronDataIntervalTimetable(Timetable):
    def __init__(self, cron: str, timezone: Any = "UTC") -> None:
        self._expression = cron
        self._timezone = timezone

    def _spec(self) -> dict[str, Any]:
        expression, preset = _cron(self._expression)
        return {"kind": "cron", "expression": expression, "preset": preset, "timetable": "data_interval",
                "timezone": zone_name(self._timezone)}


class DeltaDataIntervalTimetable(Timetable):
    def __init__(self, delta: Any) -> None:
        self._delta = delta

    def _spec(self) -> dict[str, Any]:
        return {"kind": "delta", "seconds": _interval_seconds(self._delta, "DeltaDataIntervalTimetable delta"),
                "timetable": "data_interval"}


class DeltaTriggerTimetable(Timetable):
    def __init__(self, delta: Any, *, interval: Any = _dt.timedelta()) -> None:
        self._delta = delta
        self._interval = interval

    def _spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"kind": "delta", "seconds": _interval_seconds(self._delta, "DeltaTriggerTimetable delta"),
                                "timetable": "trigger"}
        seconds = _interval_seconds(self._interval, "DeltaTriggerTimetable interval")
        if seconds:
            spec["interval_seconds"] = seconds
        return spec


class NullTimetable(Timetable):
    periodic = False
    can_be_scheduled = False

    def _spec(self) -> dict[str, Any]:
        return {"kind": "none"}


class OnceTimetable(Timetable):
    periodic = False

    def _spec(self) -> dict[str, Any]:
        return {"kind": "once"}


class ContinuousTimetable(Timetable):
    def _spec(self) -> dict[str, Any]:
        raise _not_yet("schedule='@continuous' (ContinuousTimetable)")


class EventsTimetable(Timetable):
    def __init__(self, event_dates: Any, restrict_to_events: bool = False, presorted: bool = False,
                 description: str | None = None) -> None:
        self.event_dates = event_dates

    def _spec(self) -> dict[str, Any]:
        raise _not_yet("EventsTimetable")


class AssetTriggeredTimetable(Timetable):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _not_yet("asset-triggered schedules (AssetTriggeredTimetable)")


DatasetTriggeredTimetable = AssetTriggeredTimetable


class AssetOrTimeSchedule(Timetable):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _not_yet("AssetOrTimeSchedule")


DatasetOrTimeSchedule = AssetOrTimeSchedule


def schedule_spec(schedule: Any) -> dict[str, Any]:
    """Any `schedule=` value -> ScheduleSpec. TypeScript validates cron syntax and ranges."""
    if schedule is None:
        return {"kind": "none"}
    if isinstance(schedule, str):
        text = schedule.strip()
        if text == "@once":
            return {"kind": "once"}
        if text == "@continuous":
            raise _not_yet("schedule='@continuous'")
        expression, preset = _cron(text)
        return {"kind": "cron", "expression": expression, "preset": preset}
    if isinstance(schedule, _dt.timedelta):
        return {"kind": "delta", "seconds": _interval_seconds(schedule, "schedule")}
    if isinstance(schedule, Timetable):
        return schedule._spec()
    if type(schedule).__name__ == "relativedelta":
        raise _not_yet("a dateutil relativedelta as schedule")
    from airflow._core.unsupported import is_asset_like

    if is_asset_like(schedule):
        raise _not_yet("asset/dataset schedules")
    raise TypeError(
        f"schedule must be a cron string, a preset, a datetime.timedelta, a timetable or None; "
        f"got {type(schedule).__name__}"
    )
