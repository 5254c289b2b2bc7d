"""airflow.models: the model names DAG files import (DAG, BaseOperator, Param, ...), loaded lazily."""
from __future__ import annotations

from typing import Any

_LAZY = {
    "DAG": ("airflow._core.dag", "DAG"),
    "BaseOperator": ("airflow._core.baseoperator", "BaseOperator"),
    "Param": ("airflow._core.param", "Param"),
    "ParamsDict": ("airflow._core.param", "ParamsDict"),
    "XComArg": ("airflow._core.xcom_arg", "XComArg"),
    "Variable": ("airflow._core.unsupported", "Variable"),
    "Connection": ("airflow._core.unsupported", "Connection"),
    "TaskInstance": ("airflow.models.taskinstance", "TaskInstance"),
    "DagRun": ("airflow.models.dagrun", "DagRun"),
    "XCom": ("airflow.models.xcom", "XCom"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        from airflow._core.lazy import shipped_submodule

        module = shipped_submodule(__name__, __file__, name)
        if module is not None:
            return module
        raise AttributeError(
            f"airflow.models.{name} is not available in airflow-serverless "
            f"(available: {', '.join(sorted(_LAZY))})"
        )
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


__all__ = list(_LAZY)
