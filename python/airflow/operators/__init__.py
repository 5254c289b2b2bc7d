"""Airflow 2's operator modules."""
