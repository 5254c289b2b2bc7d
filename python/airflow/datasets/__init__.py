"""Airflow 2's datasets (Airflow 3's assets)."""
from airflow._core.unsupported import Dataset, DatasetAlias

__all__ = ['Dataset', 'DatasetAlias']
