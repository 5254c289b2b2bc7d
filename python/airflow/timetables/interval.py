"""airflow.timetables.interval: Airflow import names, re-exported from the core."""
from airflow._core.timetables import CronDataIntervalTimetable, DeltaDataIntervalTimetable

__all__ = ['CronDataIntervalTimetable', 'DeltaDataIntervalTimetable']
