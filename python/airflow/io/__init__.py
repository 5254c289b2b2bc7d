"""airflow.io: Airflow 2's object-storage package (not supported yet; see airflow.io.path)."""
