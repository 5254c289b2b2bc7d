"""airflow.operators.trigger_dagrun: Airflow import names, re-exported from the core."""
from airflow._core.unsupported import TriggerDagRunOperator

__all__ = ['TriggerDagRunOperator']
