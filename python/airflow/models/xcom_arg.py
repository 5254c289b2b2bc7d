"""airflow.models.xcom_arg: Airflow import names, re-exported from the core."""
from airflow._core.xcom_arg import XComArg, PlainXComArg

__all__ = ['XComArg', 'PlainXComArg']
