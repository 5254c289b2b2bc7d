"""airflow.utils.weekday: Airflow import names, re-exported from the core."""
from airflow._core.weekday import WeekDay

__all__ = ['WeekDay']
