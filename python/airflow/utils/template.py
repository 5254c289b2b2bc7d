"""airflow.utils.template: Airflow 2's module for literal()."""
from airflow._core.template import LiteralValue, literal

__all__ = ["LiteralValue", "literal"]
