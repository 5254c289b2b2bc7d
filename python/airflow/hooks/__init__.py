"""airflow.hooks: Airflow import names, re-exported from the core."""
