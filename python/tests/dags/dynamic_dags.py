"""Dynamic DAG generation: one file, several DAGs from a config list (a factory, globals(), a loop)."""
from datetime import datetime

from airflow.decorators import task
from airflow.models.dag import DAG
from airflow.operators.bash import BashOperator

CONFIGS = {
    "customers": {"schedule": "@hourly", "tables": ["accounts", "orders"]},
    "inventory": {"schedule": "0 3 * * *", "tables": ["stock"]},
}


def create_dag(name: str, config: dict) -> DAG:
    with DAG(
        dag_id=f"dynamic_{name}",
        schedule=config["schedule"],
        start_date=datetime(2024, 1, 1),
        catchup=False,
        tags=["dynamic"],
        default_args={"owner": name},
    ) as dag:

        @task
        def extract(table: str) -> str:
            return f"extracted {table}"

        done = BashOperator(task_id="done", bash_command=f"echo {name} done")
        for table in config["tables"]:
            extract.override(task_id=f"extract_{table}")(table) >> done
    return dag


for name, config in CONFIGS.items():
    globals()[f"dag_{name}"] = create_dag(name, config)
