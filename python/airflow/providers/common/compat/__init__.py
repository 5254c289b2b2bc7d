"""airflow.providers.common.compat: the compatibility provider. Its `sdk` and `standard.operators`
modules re-export names that Airflow 3 DAG files (including Airflow's own examples) import from it."""
