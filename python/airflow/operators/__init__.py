"""Airflow 2's operator modules."""
from typing import Any


def __getattr__(name: str) -> Any:
    from airflow._core.lazy import shipped_submodule

    module = shipped_submodule(__name__, __file__, name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return module
