"""airflow.sdk.bases.sensor: Airflow import names, re-exported from the core."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue

__all__ = ['BaseSensorOperator', 'PokeReturnValue']
