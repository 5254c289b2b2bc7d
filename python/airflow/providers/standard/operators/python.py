"""airflow.providers.standard.operators.python: Airflow import names, re-exported from the core."""
from airflow._core.operators import PythonOperator, BranchPythonOperator, ShortCircuitOperator
from airflow._core.context import get_current_context
from airflow._core.unsupported import PythonVirtualenvOperator, BranchPythonVirtualenvOperator, ExternalPythonOperator, BranchExternalPythonOperator

__all__ = ['PythonOperator', 'BranchPythonOperator', 'ShortCircuitOperator', 'get_current_context', 'PythonVirtualenvOperator', 'BranchPythonVirtualenvOperator', 'ExternalPythonOperator', 'BranchExternalPythonOperator']
