"""airflow.utils.log.logging_mixin: LoggingMixin for custom operators and hooks."""
from airflow._core.logging_mixin import LoggingMixin

__all__ = ["LoggingMixin"]
