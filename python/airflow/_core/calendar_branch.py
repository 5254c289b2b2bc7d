"""The standard provider's calendar branch operators: BranchDateTimeOperator (is now, or the run's
logical date, inside a time window?) and BranchDayOfWeekOperator (is it one of these weekdays?).
Both are plain BaseBranchOperators: they choose in Python and the task runner skips the rest."""
from __future__ import annotations

import datetime as _dt
from typing import Any

from airflow._core.operators import BaseBranchOperator
from airflow._core.timezones import UTC, get_zone
from airflow._core.weekday import WeekDay
from airflow.exceptions import AirflowException


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(UTC)


def _dag_zone(task: Any) -> Any:
    zone = getattr(getattr(task, "dag", None), "timezone", None) or "UTC"
    return get_zone(zone) if isinstance(zone, str) else zone


def _in_zone(value: Any, zone: Any) -> Any:
    """A naive bound is wall-clock time in the DAG's zone, as Airflow reads it."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zone)


def window(now: _dt.datetime, lower: Any, upper: Any) -> tuple[Any, Any]:
    """Both bounds as datetimes: a `time` bound takes the date of `now`; when both are times and the
    upper one is earlier, the window runs over midnight (the upper bound is on the next day)."""
    if isinstance(lower, _dt.datetime) and isinstance(upper, _dt.datetime):
        return lower, upper
    if isinstance(lower, _dt.time):
        lower = _dt.datetime.combine(now.date(), lower)
    if isinstance(upper, _dt.time):
        upper = _dt.datetime.combine(now.date(), upper)
    if lower is not None and upper is not None and upper < lower:
        upper += _dt.timedelta(days=1)
    return lower, upper


class BranchDateTimeOperator(BaseBranchOperator):
    _serverless_class_path = "airflow.providers.standard.operators.datetime.BranchDateTimeOperator"

    def __init__(
        self,
        *,
        follow_task_ids_if_true: Any,
        follow_task_ids_if_false: Any,
        target_lower: Any,
        target_upper: Any,
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise AirflowException(
                "Both target_upper and target_lower are None. At least one must be defined to be compared "
                "to the current datetime"
            )
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.use_task_logical_date = use_task_logical_date

    def choose_branch(self, context: Any) -> Any:
        if self.use_task_logical_date:
            now = context.get("logical_date") or context["dag_run"].run_after
        else:
            now = _utcnow()
        zone = _dag_zone(self)
        lower, upper = window(now, self.target_lower, self.target_upper)
        lower, upper = _in_zone(lower, zone), _in_zone(upper, zone)
        if (upper is not None and upper < now) or (lower is not None and lower > now):
            return self.follow_task_ids_if_false
        return self.follow_task_ids_if_true


class BranchDayOfWeekOperator(BaseBranchOperator):
    _serverless_class_path = "airflow.providers.standard.operators.weekday.BranchDayOfWeekOperator"

    def __init__(
        self,
        *,
        follow_task_ids_if_true: Any,
        follow_task_ids_if_false: Any,
        week_day: Any,
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._week_day_num = WeekDay.validate_week_day(week_day)  # a bad name fails the parse here

    def choose_branch(self, context: Any) -> Any:
        if self.use_task_logical_date:
            day = context["logical_date"].isoweekday()
        else:
            day = _utcnow().astimezone(_dag_zone(self)).isoweekday()
        return self.follow_task_ids_if_true if day in self._week_day_num else self.follow_task_ids_if_false
