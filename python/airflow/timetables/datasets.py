"""airflow.timetables.datasets: Airflow import names, re-exported from the core."""
from airflow._core.timetables import DatasetOrTimeSchedule

__all__ = ['DatasetOrTimeSchedule']
