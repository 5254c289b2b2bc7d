"""An import finder, last on sys.meta_path, for `airflow.*` modules this package does not have: the
import fails with a message naming the module and what is supported, instead of Python's bare
"No module named ..." (which would read like a broken install)."""
from __future__ import annotations

import sys
from typing import Any

SUPPORTED = (
    "airflow.sdk, airflow.decorators, airflow.models, airflow.operators.{bash,python,empty,dummy}, "
    "airflow.providers.standard.operators.{bash,python,empty}, airflow.providers.common.compat.sdk, airflow.utils.{task_group,trigger_rule,"
    "dates,edgemodifier,weekday,context,helpers}, airflow.exceptions, airflow.timetables"
)


def _requested_name(fullname: str) -> str | None:
    """The module the user's import statement named (`a.b.c` while Python is looking for `a.b`), or
    None when no import is running (a probe such as importlib.util.find_spec, which expects None)."""
    frame: Any = sys._getframe(2)
    best = None
    while frame is not None:
        if frame.f_code.co_name in ("_find_and_load", "_gcd_import"):
            name = frame.f_locals.get("name")
            if isinstance(name, str) and name.startswith(fullname):
                best = name
        frame = frame.f_back
    return best


class UnavailableAirflowModuleFinder:
    @classmethod
    def find_spec(cls, fullname: str, path: Any = None, target: Any = None) -> None:
        if not fullname.startswith("airflow.") or fullname.startswith("airflow._core"):
            return None
        requested = _requested_name(fullname)
        if requested is None:
            return None
        parts = fullname.split(".")
        if len(parts) >= 3 and parts[1] == "providers":
            what = f"{requested} (provider package apache-airflow-providers-{parts[2].replace('_', '-')}) is"
        else:
            what = f"{requested} is"
        raise ModuleNotFoundError(f"{what} not available in airflow-serverless (supported: {SUPPORTED})", name=fullname)

    @classmethod
    def invalidate_caches(cls) -> None:
        pass


def install() -> None:
    if not any(f is UnavailableAirflowModuleFinder for f in sys.meta_path):
        sys.meta_path.append(UnavailableAirflowModuleFinder)  # type: ignore[arg-type]
