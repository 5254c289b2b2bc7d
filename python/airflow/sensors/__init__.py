"""Airflow 2's sensor modules (importable; sensors are not supported yet)."""
