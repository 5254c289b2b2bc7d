"""airflow.utils: Airflow import names, re-exported from the core."""
