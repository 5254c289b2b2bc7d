"""Helpers shared by the sample DAG files, imported as in an Airflow dags/ folder."""
