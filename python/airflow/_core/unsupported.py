"""Names that belong to later features: they import fine (so a DAG file's imports work), and using
them raises NotYetSupported naming the feature, so nothing is silently ignored."""
from __future__ import annotations

from typing import Any

from airflow._core.baseoperator import BaseOperator
from airflow._core.logging_mixin import LoggingMixin
from airflow_serverless.errors import NotYetSupported


def unsupported_operator(name: str, feature: str, module: str) -> type:
    """A BaseOperator subclass importable under Airflow's name whose construction is refused. User
    subclasses (a custom sensor built on BaseSensorOperator) are refused the same way."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        raise NotYetSupported(feature)

    cls = type(name, (BaseOperator,), {"__init__": __init__, "__module__": module, "_serverless_unsupported": feature})
    return cls


def unsupported_class(name: str, feature: str, module: str) -> type:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        raise NotYetSupported(feature)

    return type(name, (), {"__init__": __init__, "__module__": module})


class _Refused:
    """A class whose every classmethod-style use (`Variable.get`, ...) raises NotYetSupported."""

    _feature = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotYetSupported(self._feature)


class Variable(_Refused):
    _feature = "Airflow Variables (Variable.get/set)"

    @classmethod
    def get(cls, key: str, default_var: Any = None, deserialize_json: bool = False, **kwargs: Any) -> Any:
        raise NotYetSupported(f"Variable.get({key!r}) (Airflow Variables)")

    @classmethod
    def set(cls, key: str, value: Any, *args: Any, **kwargs: Any) -> None:
        raise NotYetSupported(f"Variable.set({key!r}) (Airflow Variables)")

    @classmethod
    def setdefault(cls, key: str, default: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotYetSupported(f"Variable.setdefault({key!r}) (Airflow Variables)")

    @classmethod
    def delete(cls, key: str, *args: Any, **kwargs: Any) -> Any:
        raise NotYetSupported(f"Variable.delete({key!r}) (Airflow Variables)")


class Connection(_Refused):
    _feature = "Airflow Connections"

    @classmethod
    def get(cls, conn_id: str, *args: Any, **kwargs: Any) -> Any:
        raise NotYetSupported(f"Connection.get({conn_id!r}) (Airflow Connections)")

    @classmethod
    def get_connection_from_secrets(cls, conn_id: str) -> Any:
        raise NotYetSupported(f"Connection {conn_id!r} (Airflow Connections)")


class BaseHook(LoggingMixin):
    """Hooks are importable (custom hooks subclass it); reading a connection is refused."""

    _log_config_logger_name = "airflow.task.hooks"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def get_connection(cls, conn_id: str) -> Any:
        raise NotYetSupported(f"BaseHook.get_connection({conn_id!r}) (Airflow Connections)")

    @classmethod
    def get_hook(cls, conn_id: str, hook_params: Any = None) -> Any:
        raise NotYetSupported(f"BaseHook.get_hook({conn_id!r}) (Airflow Connections)")


class _AssetBase:
    _feature = "Assets/Datasets (data-aware scheduling)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotYetSupported(self._feature)


class Asset(_AssetBase):
    pass


class AssetAlias(_AssetBase):
    pass


class AssetAll(_AssetBase):
    pass


class AssetAny(_AssetBase):
    pass


class Dataset(_AssetBase):
    pass


class DatasetAlias(_AssetBase):
    pass


class Metadata(_AssetBase):
    pass


def is_asset_like(value: Any) -> bool:
    if isinstance(value, _AssetBase):
        return True
    if isinstance(value, (list, tuple, set)) and value:
        return all(is_asset_like(v) for v in value)
    return False


def check_outlets(outlets: Any) -> None:
    raise NotYetSupported("outlets (Assets/Datasets)")


BaseSensorOperator = unsupported_operator("BaseSensorOperator", "sensors (BaseSensorOperator)", "airflow.sdk.bases.sensor")
PokeReturnValue = unsupported_class("PokeReturnValue", "sensors (PokeReturnValue)", "airflow.sdk.bases.sensor")
# Object storage needs Connections (credentials) and fsspec backends; Airflow's object-storage tutorial
# builds one at import, so its parse fails naming the feature rather than an unknown name.
ObjectStoragePath = unsupported_class("ObjectStoragePath", "object storage (ObjectStoragePath)", "airflow.sdk")
TriggerDagRunOperator = unsupported_operator(
    "TriggerDagRunOperator", "TriggerDagRunOperator", "airflow.providers.standard.operators.trigger_dagrun"
)
PythonVirtualenvOperator = unsupported_operator(
    "PythonVirtualenvOperator", "PythonVirtualenvOperator (per-task virtualenvs)", "airflow.providers.standard.operators.python"
)
BranchPythonVirtualenvOperator = unsupported_operator(
    "BranchPythonVirtualenvOperator", "BranchPythonVirtualenvOperator (per-task virtualenvs)", "airflow.providers.standard.operators.python"
)
ExternalPythonOperator = unsupported_operator(
    "ExternalPythonOperator", "ExternalPythonOperator (per-task Python environments)", "airflow.providers.standard.operators.python"
)
BranchExternalPythonOperator = unsupported_operator(
    "BranchExternalPythonOperator", "BranchExternalPythonOperator (per-task Python environments)", "airflow.providers.standard.operators.python"
)
LatestOnlyOperator = unsupported_operator("LatestOnlyOperator", "LatestOnlyOperator", "airflow.providers.standard.operators.latest_only")
SubDagOperator = unsupported_operator("SubDagOperator", "SubDagOperator (removed in Airflow 3; use TaskGroup)", "airflow.operators.subdag")


def sensor(name: str, module: str) -> type:
    return unsupported_operator(name, f"sensors ({name})", module)
