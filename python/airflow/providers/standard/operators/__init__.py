"""airflow.providers.standard.operators: Airflow import names, re-exported from the core."""
