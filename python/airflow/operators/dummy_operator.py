"""Airflow 1.10's module path, still found in old DAG files."""
from airflow._core.operators import EmptyOperator

DummyOperator = EmptyOperator

__all__ = ["DummyOperator"]
