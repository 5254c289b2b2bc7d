"""Submodules reached as attributes without an import of their own (`import airflow` then
`airflow.utils.dates.days_ago(2)`, as older DAG files do): real Airflow has imported them by then,
so our packages import them on first attribute access, only for modules this package ships."""
from __future__ import annotations

import importlib
import os
from types import ModuleType


def shipped_submodule(package: str, package_file: str, name: str) -> ModuleType | None:
    if name.startswith("_"):
        return None
    folder = os.path.dirname(package_file)
    if not (os.path.isfile(os.path.join(folder, name, "__init__.py")) or os.path.isfile(os.path.join(folder, name + ".py"))):
        return None
    return importlib.import_module(f"{package}.{name}")
