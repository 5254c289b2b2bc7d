"""airflow.providers.standard.operators.bash: Airflow import names, re-exported from the core."""
from airflow._core.operators import BashOperator

__all__ = ['BashOperator']
