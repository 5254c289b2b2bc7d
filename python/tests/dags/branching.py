"""Branching: BranchPythonOperator, @task.branch, ShortCircuitOperator, joins with trigger rules, labels."""
import random

import pendulum

from airflow.decorators import task
from airflow.models.dag import DAG
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import BranchPythonOperator, ShortCircuitOperator
from airflow.utils.edgemodifier import Label
from airflow.utils.trigger_rule import TriggerRule

with DAG(
    dag_id="branching",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    schedule="@daily",
    tags=["example", "example2"],
    owner_links={"airflow": "https://airflow.apache.org"},
) as dag:
    run_this_first = EmptyOperator(task_id="run_this_first")
    options = ["branch_a", "branch_b", "branch_c", "branch_d"]

    branching = BranchPythonOperator(task_id="branching", python_callable=lambda: f"branch_{random.choice('ab')}")
    run_this_first >> branching

    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    for option in options:
        t = EmptyOperator(task_id=option)
        follow = EmptyOperator(task_id="follow_" + option)
        branching >> Label(option) >> t >> follow >> join

    @task.branch(task_id="decide")
    def decide(choices: list[str]) -> str:
        return f"task_{random.choice(choices)}"

    after = EmptyOperator(task_id="after_decision", trigger_rule="none_failed_min_one_success")
    chosen = decide(["x", "y"])
    join >> chosen
    for name in ("x", "y"):
        chosen >> EmptyOperator(task_id=f"task_{name}") >> after

    cond_true = ShortCircuitOperator(task_id="condition_is_true", python_callable=lambda: True)
    cond_false = ShortCircuitOperator(task_id="condition_is_false", python_callable=lambda: False,
                                      ignore_downstream_trigger_rules=False)
    after >> [cond_true, cond_false]

    @task.short_circuit()
    def check(value: bool) -> bool:
        return value

    cond_true >> check(True) >> EmptyOperator(task_id="ran_after_check")
    cond_false >> EmptyOperator(task_id="skipped_after_false")
