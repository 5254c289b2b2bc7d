"""airflow.utils.weight_rule: Airflow 2's module for WeightRule."""
from airflow._core.weight_rule import WeightRule

__all__ = ["WeightRule"]
