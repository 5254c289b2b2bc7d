"""airflow.sdk.bases: Airflow import names, re-exported from the core."""
