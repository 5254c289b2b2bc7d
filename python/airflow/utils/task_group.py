"""airflow.utils.task_group: Airflow import names, re-exported from the core."""
from airflow._core.taskgroup import TaskGroup

__all__ = ['TaskGroup']
