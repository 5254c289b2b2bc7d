"""Trigger rules: a failing task and the rules that still run after it."""
from datetime import datetime

from airflow.decorators import dag, task
from airflow.exceptions import AirflowException
from airflow.operators.empty import EmptyOperator
from airflow.utils.trigger_rule import TriggerRule


@dag(schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["example"])
def trigger_rules():
    @task
    def succeed():
        return "ok"

    @task(retries=0)
    def fail():
        raise AirflowException("this task fails on purpose")

    ok = succeed()
    bad = fail()
    all_done = EmptyOperator(task_id="all_done", trigger_rule=TriggerRule.ALL_DONE)
    one_failed = EmptyOperator(task_id="one_failed", trigger_rule=TriggerRule.ONE_FAILED)
    one_success = EmptyOperator(task_id="one_success", trigger_rule=TriggerRule.ONE_SUCCESS)
    all_success = EmptyOperator(task_id="all_success")
    none_skipped = EmptyOperator(task_id="none_skipped", trigger_rule="none_skipped")
    [ok, bad] >> all_done
    [ok, bad] >> one_failed
    [ok, bad] >> one_success
    [ok, bad] >> all_success
    all_done >> none_skipped


trigger_rules()
