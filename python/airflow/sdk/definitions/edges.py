"""airflow.sdk.definitions.edges: Airflow import names, re-exported from the core."""
from airflow._core.dependencies import EdgeModifier, Label

__all__ = ['EdgeModifier', 'Label']
