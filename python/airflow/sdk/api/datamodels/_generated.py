"""airflow.sdk.api.datamodels._generated: the enums DAG files import from it (Airflow's own examples do)."""
from airflow._core.trigger_rule import TriggerRule
from airflow.utils.state import DagRunState, TaskInstanceState

__all__ = ["TriggerRule", "TaskInstanceState", "DagRunState"]
