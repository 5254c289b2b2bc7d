"""Branching, task groups, trigger rules and templating in a classic-operator DAG file."""
import pendulum

from airflow import DAG
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import task
from airflow.utils.task_group import TaskGroup
from airflow.utils.trigger_rule import TriggerRule

with DAG(
    dag_id="branching_groups",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"mode": "full"},
    tags=["example"],
) as dag:
    start = EmptyOperator(task_id="start")

    @task.branch
    def choose(params=None):
        return "full_load.extract" if params["mode"] == "full" else "incremental"

    with TaskGroup("full_load") as full_load:
        extract = BashOperator(task_id="extract", bash_command="echo 'extracting for {{ ds }}'")
        load = BashOperator(task_id="load", bash_command="echo loaded {{ ti.xcom_pull(task_ids='full_load.extract') }}")
        extract >> load

    incremental = BashOperator(task_id="incremental", bash_command="echo incremental")
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)

    start >> choose() >> [full_load, incremental]
    [full_load, incremental] >> join
