"""airflow.utils.types: DagRunType (compare with `dag_run.run_type`) and the NOTSET sentinel."""
from __future__ import annotations

from enum import Enum

from airflow._core.baseoperator import NOTSET, _NotSet

ArgNotSet = _NotSet


class DagRunType(str, Enum):
    BACKFILL_JOB = "backfill"
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    ASSET_TRIGGERED = "asset_triggered"
    DATASET_TRIGGERED = "dataset_triggered"

    def __str__(self) -> str:
        return self.value


__all__ = ["DagRunType", "NOTSET", "ArgNotSet"]
