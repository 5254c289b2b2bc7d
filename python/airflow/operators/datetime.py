"""airflow.operators.datetime: Airflow import names, re-exported from the core."""
from airflow._core.calendar_branch import BranchDateTimeOperator

__all__ = ['BranchDateTimeOperator']
