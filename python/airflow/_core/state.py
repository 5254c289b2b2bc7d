"""Parse-time state shared by the core: the `with DAG(...)`/`with TaskGroup(...)` stacks and the DAGs
created while a file is imported (Airflow 3 registers DAGs made in a file's context even when they are
not assigned to a module global; the parse worker collects them from here)."""
from __future__ import annotations

from typing import Any

# Innermost last. Groups carry their DAG, so a group of one DAG is never used for another.
dag_stack: list[Any] = []
group_stack: list[Any] = []
# DAGs whose `with` block ended, or made by a `@dag` function call, since the last reset.
registered_dags: list[Any] = []


def current_dag() -> Any:
    return dag_stack[-1] if dag_stack else None


def current_group(dag: Any) -> Any:
    """The innermost open task group of `dag` (its root group when none is open)."""
    for group in reversed(group_stack):
        if group.dag is dag:
            return group
    return dag.task_group if dag is not None else None


def placement(dag: Any = None, group: Any = None) -> tuple[Any, Any]:
    """Where a new task or group goes: the given DAG/group, else the innermost open ones. A group
    opened with `with TaskGroup(..., dag=dag):` outside any `with DAG` still places its tasks."""
    if dag is None and group is not None:
        dag = group.dag
    if dag is None:
        dag = current_dag()
    if dag is None and group_stack:
        group = group_stack[-1]
        dag = group.dag
    if group is None and dag is not None:
        group = current_group(dag)
    return dag, group


def register(dag: Any) -> None:
    if not any(d is dag for d in registered_dags):
        registered_dags.append(dag)


def reset() -> None:
    """Forget everything a previous file left (the parse worker calls this before each file)."""
    dag_stack.clear()
    group_stack.clear()
    registered_dags.clear()
