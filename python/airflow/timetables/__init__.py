"""airflow.timetables: Airflow import names, re-exported from the core."""
