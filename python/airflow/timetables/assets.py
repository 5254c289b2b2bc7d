"""airflow.timetables.assets: Airflow import names, re-exported from the core."""
from airflow._core.timetables import AssetOrTimeSchedule

__all__ = ['AssetOrTimeSchedule']
