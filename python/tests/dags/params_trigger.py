"""Params with types and defaults, read in templates and in tasks, overridable by a trigger's conf."""
import datetime

from airflow.decorators import task
from airflow.models.dag import DAG
from airflow.models.param import Param
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="params_trigger",
    start_date=datetime.datetime(2022, 3, 4),
    schedule=None,
    catchup=False,
    params={
        "names": Param(["Linda", "Martha", "Thomas"], type="array", description="Names to greet", title="Names"),
        "english": Param(True, type="boolean", title="English"),
        "count": Param(3, type="integer", minimum=1, maximum=10),
        "mode": Param("fast", enum=["fast", "slow"]),
        "note": "plain default",
    },
) as dag:

    @task(task_id="get_names")
    def get_names(**kwargs) -> list[str]:
        params = kwargs["params"]
        if "names" not in params:
            return []
        return params["names"]

    @task.python(task_id="greet")
    def greet(names: list[str], english: bool) -> str:
        return (", ".join(names) + "!") if english else "Hallo " + ", ".join(names)

    echo = BashOperator(task_id="echo", bash_command="echo {{ params.count }} {{ params.mode }} {{ dag_run.conf.get('note', params.note) }}")
    greet(get_names(), "{{ params.english }}") >> echo
