"""airflow.providers.common.compat.sdk: the SDK names Airflow's compat provider re-exports (it picks
Airflow 3's `airflow.sdk` when present, as here). Names are looked up on first use so that importing
one name does not load the rest; a name the compat provider has but we lack is an ImportError naming it."""
from __future__ import annotations

import importlib
from typing import Any

# name -> module of this package that defines it (the same objects as airflow.sdk's)
_NAMES = {
    **{name: "airflow.sdk" for name in (
        "DAG", "dag", "task", "task_group", "setup", "teardown", "TaskGroup", "Param", "ParamsDict", "chain",
        "chain_linear", "cross_downstream", "Label", "EdgeModifier", "get_current_context", "get_parsing_context",
        "Context", "BaseOperator", "TriggerRule", "XComArg", "WeightRule", "DagRunState", "TaskInstanceState",
        "Asset", "AssetAlias", "AssetAll", "AssetAny", "Metadata", "Variable", "Connection", "BaseSensorOperator",
        "PokeReturnValue", "BaseHook", "ObjectStoragePath", "literal")},
    "timezone": "airflow.sdk.timezone",
    "XCom": "airflow.models.xcom",
    "XCOM_RETURN_KEY": "airflow.models.xcom",
    **{name: "airflow.exceptions" for name in (
        "AirflowException", "AirflowSkipException", "AirflowFailException", "AirflowSensorTimeout",
        "AirflowTaskTimeout")},
}


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(f"cannot import name {name!r} from 'airflow.providers.common.compat.sdk': "
                          f"{name} is not available in airflow-serverless")
    if module == name or module.endswith("." + name):
        value = importlib.import_module(module)
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = sorted(_NAMES)
