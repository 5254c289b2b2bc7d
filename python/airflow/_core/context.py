"""The task context as user code sees it; the values come from the task runner."""
from __future__ import annotations

from typing import Any


class Context(dict):
    """Airflow's Context type (a mapping of context keys); used in type hints."""


def get_current_context() -> Any:
    """The running task's context. Only valid while a task runs (the task runner sets it)."""
    from airflow_serverless.runtime.context import get_current_context as current

    return current()
