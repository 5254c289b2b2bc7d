"""airflow-serverless's own Python machinery: serialisation, the parse worker and the task runner.

Users never import this package; their DAG files import `airflow` (python/airflow), whose names are
thin aliases over `airflow._core`.
"""
