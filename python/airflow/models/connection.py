"""airflow.models.connection: Airflow import names, re-exported from the core."""
from airflow._core.unsupported import Connection

__all__ = ['Connection']
