"""airflow.providers.common.compat.standard.operators: the standard provider's Python operators, as the
compat provider re-exports them."""
from airflow._core.baseoperator import BaseOperator
from airflow._core.context import get_current_context
from airflow.providers.standard.operators.python import PythonOperator, ShortCircuitOperator

__all__ = ["BaseOperator", "PythonOperator", "ShortCircuitOperator", "get_current_context"]
