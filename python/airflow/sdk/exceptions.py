"""airflow.sdk.exceptions: Airflow 3's spelling of airflow.exceptions (the same classes)."""
from airflow.exceptions import *  # noqa: F401,F403
from airflow.exceptions import (  # noqa: F401
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
)
