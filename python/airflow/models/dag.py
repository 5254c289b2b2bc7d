"""airflow.models.dag: Airflow import names, re-exported from the core."""
from airflow._core.dag import DAG, dag, DagParam

__all__ = ['DAG', 'dag', 'DagParam']
