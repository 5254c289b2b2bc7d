"""airflow.operators.python: Airflow import names, re-exported from the core."""
from airflow._core.operators import PythonOperator, BranchPythonOperator, ShortCircuitOperator
from airflow._core.context import get_current_context
# Airflow 2.0's first spelling of the TaskFlow decorator (deprecated there for airflow.decorators.task).
from airflow._core.decorators import task
from airflow._core.unsupported import PythonVirtualenvOperator, BranchPythonVirtualenvOperator, ExternalPythonOperator, BranchExternalPythonOperator

__all__ = ['PythonOperator', 'BranchPythonOperator', 'ShortCircuitOperator', 'get_current_context', 'task', 'PythonVirtualenvOperator', 'BranchPythonVirtualenvOperator', 'ExternalPythonOperator', 'BranchExternalPythonOperator']
