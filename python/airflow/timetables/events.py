"""airflow.timetables.events: Airflow import names, re-exported from the core."""
from airflow._core.timetables import EventsTimetable

__all__ = ['EventsTimetable']
