"""get_parsing_context(): which DAG and task the current process was started for, so a file that
generates many DAGs can build only the one a task needs. Airflow sets it only when running a task;
at parse time both are None, which makes such files build every DAG, as they must when parsing."""
from __future__ import annotations

import os
from typing import NamedTuple

_DAG_ID_ENV = "_AIRFLOW_PARSING_CONTEXT_DAG_ID"
_TASK_ID_ENV = "_AIRFLOW_PARSING_CONTEXT_TASK_ID"


class AirflowParsingContext(NamedTuple):
    dag_id: str | None
    task_id: str | None


def get_parsing_context() -> AirflowParsingContext:
    return AirflowParsingContext(dag_id=os.environ.get(_DAG_ID_ENV), task_id=os.environ.get(_TASK_ID_ENV))
