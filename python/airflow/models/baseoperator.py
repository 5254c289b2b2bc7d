"""airflow.models.baseoperator: Airflow import names, re-exported from the core."""
from airflow._core.baseoperator import BaseOperator
from airflow._core.dependencies import chain, chain_linear, cross_downstream

__all__ = ['BaseOperator', 'chain', 'chain_linear', 'cross_downstream']
