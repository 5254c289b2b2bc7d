"""airflow.hooks.base: Airflow import names, re-exported from the core."""
from airflow._core.unsupported import BaseHook

__all__ = ['BaseHook']
