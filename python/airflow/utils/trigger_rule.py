"""airflow.utils.trigger_rule: Airflow import names, re-exported from the core."""
from airflow._core.trigger_rule import TriggerRule

__all__ = ['TriggerRule']
