"""airflow.utils.helpers: Airflow import names, re-exported from the core."""
from airflow._core.dependencies import chain, cross_downstream

__all__ = ['chain', 'cross_downstream']
