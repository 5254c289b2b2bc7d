"""airflow.timetables.trigger: Airflow import names, re-exported from the core."""
from airflow._core.timetables import CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable

__all__ = ['CronTriggerTimetable', 'DeltaTriggerTimetable', 'MultipleCronTriggerTimetable']
