"""airflow.sdk.definitions.param: Airflow import names, re-exported from the core."""
from airflow._core.param import Param, ParamsDict

__all__ = ['Param', 'ParamsDict']
