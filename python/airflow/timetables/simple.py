"""airflow.timetables.simple: Airflow import names, re-exported from the core."""
from airflow._core.timetables import NullTimetable, OnceTimetable, ContinuousTimetable, AssetTriggeredTimetable, DatasetTriggeredTimetable

__all__ = ['NullTimetable', 'OnceTimetable', 'ContinuousTimetable', 'AssetTriggeredTimetable', 'DatasetTriggeredTimetable']
