"""A custom operator from a helper package in the dags folder, templated fields and default_args."""
from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from common.operators import GreetOperator

with DAG(
    dag_id="custom_operator",
    start_date=datetime(2024, 1, 1),
    schedule="@weekly",
    default_args={"punctuation": "?", "retries": 1},
    catchup=False,
) as dag:
    greet = GreetOperator(task_id="greet", name="{{ dag_run.conf.get('who', 'world') }}")
    shout = GreetOperator(task_id="shout", name="team", punctuation="!!!")
    greet >> shout >> EmptyOperator(task_id="done")
