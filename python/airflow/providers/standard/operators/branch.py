"""airflow.providers.standard.operators.branch: Airflow import names, re-exported from the core."""
from airflow._core.operators import BaseBranchOperator, BranchMixIn

__all__ = ['BaseBranchOperator', 'BranchMixIn']
