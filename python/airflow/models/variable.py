"""airflow.models.variable: Airflow import names, re-exported from the core."""
from airflow._core.unsupported import Variable

__all__ = ['Variable']
