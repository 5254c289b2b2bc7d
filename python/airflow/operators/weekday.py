"""airflow.operators.weekday: Airflow import names, re-exported from the core."""
from airflow._core.calendar_branch import BranchDayOfWeekOperator

__all__ = ['BranchDayOfWeekOperator']
