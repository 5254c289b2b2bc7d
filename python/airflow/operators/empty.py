"""airflow.operators.empty: Airflow import names, re-exported from the core."""
from airflow._core.operators import EmptyOperator

__all__ = ['EmptyOperator']
