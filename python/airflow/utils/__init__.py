"""airflow.utils: Airflow import names, re-exported from the core."""
from typing import Any


def __getattr__(name: str) -> Any:
    from airflow._core.lazy import shipped_submodule

    module = shipped_submodule(__name__, __file__, name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return module
