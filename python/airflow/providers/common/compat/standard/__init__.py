"""airflow.providers.common.compat.standard: re-exports of the standard provider."""
