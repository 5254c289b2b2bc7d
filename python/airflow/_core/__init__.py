"""The one small core behind every `airflow.*` import name: DAG, operators, task groups, XComArgs,
params, decorators and timetables. Public modules (`airflow.sdk`, `airflow.models.dag`, ...) only
re-export names from here, so there is one implementation per concept."""
