"""airflow.macros: the same helpers templates see as `macros` (the task runner's own module)."""
from airflow_serverless.runtime.macros import ds_add, ds_format

import datetime as _dt
import json
import random
import time
import uuid

datetime = _dt.datetime
timedelta = _dt.timedelta

__all__ = ["ds_add", "ds_format", "datetime", "timedelta", "json", "random", "time", "uuid"]
