"""Airflow 1.10's module path, still found in old DAG files."""
from airflow._core.context import get_current_context
from airflow._core.operators import BranchPythonOperator, PythonOperator, ShortCircuitOperator

__all__ = ["PythonOperator", "BranchPythonOperator", "ShortCircuitOperator", "get_current_context"]
