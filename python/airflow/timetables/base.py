"""airflow.timetables.base: Airflow import names, re-exported from the core."""
from airflow._core.timetables import Timetable

__all__ = ['Timetable']
