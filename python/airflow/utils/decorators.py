"""airflow.utils.decorators: `apply_defaults`, which old custom operators still wear. default_args
are applied to every operator's __init__ anyway (as since Airflow 2), so it returns the function as is."""
from __future__ import annotations

from typing import Any


def apply_defaults(func: Any) -> Any:
    return func


__all__ = ["apply_defaults"]
