"""Passing values between tasks: explicit xcom_push/xcom_pull, return values, op.output, XComArg."""
import pendulum

from airflow import DAG
from airflow.decorators import task
from airflow.models.xcom_arg import XComArg
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

value_1 = [1, 2, 3]
value_2 = {"a": "b"}


def push(ti=None):
    ti.xcom_push(key="value from pusher 1", value=value_1)


def push_by_returning():
    return value_2


def puller(pulled_value_2, ti=None):
    pulled_value_1 = ti.xcom_pull(task_ids="push", key="value from pusher 1")
    if pulled_value_1 != value_1:
        raise ValueError(f"The two values differ {pulled_value_1} and {value_1}")
    if pulled_value_2 != value_2:
        raise ValueError(f"The two values differ {pulled_value_2} and {value_2}")


with DAG(
    "xcom_passing",
    schedule="@once",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example"],
) as dag:
    push1 = PythonOperator(task_id="push", python_callable=push)
    push2 = PythonOperator(task_id="push_by_returning", python_callable=push_by_returning)
    pull = PythonOperator(task_id="puller", python_callable=puller, op_kwargs={"pulled_value_2": push2.output})
    push1 >> pull

    bash_push = BashOperator(
        task_id="bash_push",
        bash_command='echo "bash_push demo" && echo "Manually set xcom value {{ ti.xcom_push(key="manually_pushed_value", value="manually_pushed_value") }}" && echo "value_by_return"',
    )
    bash_pull = BashOperator(
        task_id="bash_pull",
        bash_command='echo "bash pull demo" && '
        f'echo "The xcom pushed manually is {XComArg(bash_push, key="manually_pushed_value")}" && '
        f'echo "The returned_value xcom is {XComArg(bash_push)}"',
        do_xcom_push=False,
    )
    python_pull_from_bash = PythonOperator(
        task_id="python_pull_from_bash",
        python_callable=lambda **ctx: ctx["ti"].xcom_pull(task_ids="bash_push"),
    )
    [bash_pull, python_pull_from_bash] << bash_push

    @task
    def add_one(x: int) -> int:
        return x + 1

    @task
    def total(a: int, b: int) -> int:
        return a + b

    total(add_one(1), add_one(2))
