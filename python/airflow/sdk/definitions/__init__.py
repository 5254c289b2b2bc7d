"""Airflow 3's internal definition modules (some DAG files import from them)."""
