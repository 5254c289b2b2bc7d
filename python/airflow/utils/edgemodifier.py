"""airflow.utils.edgemodifier: Airflow import names, re-exported from the core."""
from airflow._core.dependencies import EdgeModifier, Label

__all__ = ['EdgeModifier', 'Label']
