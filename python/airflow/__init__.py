"""airflow-serverless's authoring package, importable as `airflow` only inside the Python processes
airflow-serverless starts (python/ goes first on their sys.path). It provides the names Airflow users
import, Airflow 2.x and 3.x spellings alike, as thin aliases over `airflow._core`.

Importing it stays cheap: submodules load on first use.
"""
from __future__ import annotations

from typing import Any

from airflow._core.finder import install as _install_finder

__version__ = "3.0.0"

_install_finder()

_LAZY = {
    "DAG": ("airflow._core.dag", "DAG"),
    "dag": ("airflow._core.dag", "dag"),
    "XComArg": ("airflow._core.xcom_arg", "XComArg"),
    "Dataset": ("airflow._core.unsupported", "Dataset"),
    "Asset": ("airflow._core.unsupported", "Asset"),
    "AirflowException": ("airflow.exceptions", "AirflowException"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        from airflow._core.lazy import shipped_submodule

        module = shipped_submodule(__name__, __file__, name)
        if module is None:
            raise AttributeError(f"module 'airflow' has no attribute {name!r}")
        return module
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


__all__ = ["DAG", "dag", "XComArg", "Dataset", "Asset", "AirflowException", "__version__"]
