"""Airflow 3's authoring API (airflow.sdk)."""
from airflow._core.dag import DAG, dag
from airflow._core.decorators import task, task_group, setup, teardown
from airflow._core.taskgroup import TaskGroup
from airflow._core.param import Param, ParamsDict
from airflow._core.dependencies import chain, chain_linear, cross_downstream, Label, EdgeModifier
from airflow._core.context import get_current_context, Context
from airflow._core.baseoperator import BaseOperator
from airflow._core.operators import BaseBranchOperator
from airflow._core.trigger_rule import TriggerRule
from airflow._core.xcom_arg import XComArg
from airflow._core.weekday import WeekDay
from airflow._core.weight_rule import WeightRule
from airflow._core.parsing_context import get_parsing_context
from airflow._core.template import literal
from airflow.utils.state import DagRunState, TaskInstanceState
from airflow._core.unsupported import Asset, AssetAlias, AssetAll, AssetAny, Metadata, Variable, Connection, BaseSensorOperator, PokeReturnValue, BaseHook, ObjectStoragePath

__all__ = ['DAG', 'dag', 'task', 'task_group', 'setup', 'teardown', 'TaskGroup', 'Param', 'ParamsDict', 'chain', 'chain_linear', 'cross_downstream', 'Label', 'EdgeModifier', 'get_current_context', 'Context', 'BaseOperator', 'BaseBranchOperator', 'TriggerRule', 'XComArg', 'WeekDay', 'WeightRule', 'get_parsing_context', 'literal', 'DagRunState', 'TaskInstanceState', 'Asset', 'AssetAlias', 'AssetAll', 'AssetAny', 'Metadata', 'Variable', 'Connection', 'BaseSensorOperator', 'PokeReturnValue', 'BaseHook', 'ObjectStoragePath']


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    from airflow._core.lazy import shipped_submodule

    module = shipped_submodule(__name__, __file__, name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return module
