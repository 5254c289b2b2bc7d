"""airflow.utils.dag_parsing_context: Airflow 2's module for get_parsing_context."""
from airflow._core.parsing_context import AirflowParsingContext, get_parsing_context

__all__ = ["AirflowParsingContext", "get_parsing_context"]
