"""airflow.sdk.definitions.dag: Airflow import names, re-exported from the core."""
from airflow._core.dag import DAG, dag

__all__ = ['DAG', 'dag']
