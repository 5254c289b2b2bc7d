"""An Airflow 2 era file: schedule_interval, days_ago, DummyOperator, default_args start_date, chain."""
from datetime import timedelta

from airflow import DAG
from airflow.models.baseoperator import chain
from airflow.operators.bash import BashOperator
from airflow.operators.dummy import DummyOperator
from airflow.operators.python import PythonOperator
from airflow.utils.dates import days_ago

default_args = {
    "owner": "airflow",
    "start_date": days_ago(2),
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
    "sla": timedelta(hours=2),
}


def greet(name, **kwargs):
    print(f"hello {name} on {kwargs['ds']}")


dag = DAG(
    "airflow2_style",
    default_args=default_args,
    schedule_interval="@daily",
    concurrency=4,
    max_active_runs=1,
    catchup=False,
)

start = DummyOperator(task_id="start", dag=dag)
hello = PythonOperator(task_id="hello", python_callable=greet, op_args=["world"], dag=dag)
bash = BashOperator(task_id="bash", bash_command="echo {{ ds }}", dag=dag)
end = DummyOperator(task_id="end", dag=dag)
chain(start, [hello, bash], end)
