"""airflow.utils.dates: Airflow import names, re-exported from the core."""
from airflow._core.dates import days_ago

__all__ = ['days_ago']
