"""airflow.providers.standard: Airflow import names, re-exported from the core."""
