"""Airflow 2's DummyOperator: EmptyOperator's old name."""
from airflow._core.operators import EmptyOperator

DummyOperator = EmptyOperator

__all__ = ['EmptyOperator', 'DummyOperator']
