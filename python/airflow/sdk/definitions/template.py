"""airflow.sdk.definitions.template: literal() (templating leaves its value as it is)."""
from airflow._core.template import LiteralValue, literal

__all__ = ["LiteralValue", "literal"]
