"""Airflow 2's TaskFlow decorators."""
from airflow._core.dag import dag
from airflow._core.decorators import task, task_group, setup, teardown

__all__ = ['dag', 'task', 'task_group', 'setup', 'teardown']
