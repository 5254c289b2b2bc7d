"""airflow.utils.context: Airflow import names, re-exported from the core."""
from airflow._core.context import Context, get_current_context

__all__ = ['Context', 'get_current_context']
