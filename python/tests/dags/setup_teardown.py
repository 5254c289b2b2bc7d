"""Setup and teardown: as_setup/as_teardown, @setup/@teardown, the context-manager form."""
import pendulum

from airflow.decorators import setup, task, teardown
from airflow.models.dag import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="setup_teardown",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example"],
) as dag:
    root_setup = BashOperator(task_id="root_setup", bash_command="echo 'Hello from root_setup'").as_setup()
    normal = BashOperator(task_id="normal", bash_command="echo 'I am just a normal task'")
    root_teardown = BashOperator(task_id="root_teardown", bash_command="echo 'Goodbye from root_teardown'").as_teardown(
        setups=root_setup
    )
    root_setup >> normal >> root_teardown

    @setup
    def create_cluster():
        return "cluster-1"

    @task
    def run_query(cluster: str):
        print(f"querying {cluster}")

    @teardown(on_failure_fail_dagrun=True)
    def delete_cluster(cluster: str):
        print(f"deleting {cluster}")

    cluster = create_cluster()
    run_query(cluster) >> delete_cluster(cluster)

    with BashOperator(task_id="drop_tmp", bash_command="echo drop").as_teardown(
        setups=BashOperator(task_id="make_tmp", bash_command="echo make")
    ):
        BashOperator(task_id="use_tmp", bash_command="echo use")
