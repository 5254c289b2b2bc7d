"""Templating: user_defined_macros and filters, template_searchpath files, templates_dict, native rendering."""
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

HERE = os.path.dirname(os.path.abspath(__file__))


def show(templates_dict=None, **context):
    print(templates_dict["when"], context["ds"])
    return templates_dict["when"]


with DAG(
    "templating",
    start_date=datetime(2024, 1, 1),
    schedule="0 6 * * 1-5",
    catchup=False,
    template_searchpath=[os.path.join(HERE, "templates")],
    user_defined_macros={"project": "airflow-serverless", "shift": lambda ds, n: ds + f"+{n}"},
    user_defined_filters={"shout": lambda text: str(text).upper() + "!"},
    render_template_as_native_obj=False,
    dagrun_timeout=timedelta(minutes=30),
) as dag:
    from_file = BashOperator(task_id="from_file", bash_command="greet.sh", env={"WHO": "{{ project }}"})
    inline = BashOperator(task_id="inline", bash_command="echo {{ project | shout }} {{ shift(ds, 2) }} {{ macros.ds_add(ds, 1) }}")
    python = PythonOperator(task_id="python", python_callable=show, templates_dict={"when": "{{ ds_nodash }}"})
    from_file >> inline >> python
