"""Airflow 1.10's module path, still found in old DAG files."""
from airflow._core.operators import BashOperator

__all__ = ["BashOperator"]
