"""airflow.providers.standard.utils.weekday: WeekDay, as Airflow 3 spells its module."""
from airflow._core.weekday import WeekDay

__all__ = ["WeekDay"]
