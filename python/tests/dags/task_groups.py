"""Task groups: nested groups, prefix_group_id=False, @task_group functions, group >> group."""
import pendulum

from airflow.decorators import task, task_group
from airflow.models.dag import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG(
    dag_id="task_groups",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example"],
) as dag:
    start = EmptyOperator(task_id="start")

    with TaskGroup("section_1", tooltip="Tasks for section_1") as section_1:
        task_1 = EmptyOperator(task_id="task_1")
        task_2 = BashOperator(task_id="task_2", bash_command="echo 1")
        task_3 = EmptyOperator(task_id="task_3")
        task_1 >> [task_2, task_3]

    with TaskGroup("section_2", tooltip="Tasks for section_2") as section_2:
        task_1 = EmptyOperator(task_id="task_1")
        with TaskGroup("inner_section_2", tooltip="Tasks for inner_section2") as inner_section_2:
            task_2 = BashOperator(task_id="task_2", bash_command="echo 1")
            task_3 = EmptyOperator(task_id="task_3")
            task_4 = EmptyOperator(task_id="task_4")
            [task_2, task_3] >> task_4

    with TaskGroup("unprefixed", prefix_group_id=False, default_args={"retries": 2}) as unprefixed:
        EmptyOperator(task_id="standalone")

    @task
    def double(n: int) -> int:
        return 2 * n

    @task_group(group_id="numbers")
    def numbers(n: int):
        """Doubles twice."""
        return double(double(n))

    end = EmptyOperator(task_id="end")
    start >> section_1 >> section_2 >> unprefixed >> end
    start >> numbers(3) >> end
