"""airflow.sdk.api: only the generated enums some example DAGs import."""
