"""airflow.providers.common: only common.compat exists here (newer Airflow docs import SDK names from it)."""
