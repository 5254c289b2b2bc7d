"""airflow.operators.subdag: Airflow import names, re-exported from the core."""
from airflow._core.unsupported import SubDagOperator

__all__ = ['SubDagOperator']
