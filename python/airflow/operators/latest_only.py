"""airflow.operators.latest_only: Airflow import names, re-exported from the core."""
from airflow._core.unsupported import LatestOnlyOperator

__all__ = ['LatestOnlyOperator']
