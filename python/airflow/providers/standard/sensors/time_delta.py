"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

TimeDeltaSensor = sensor("TimeDeltaSensor", "airflow.providers.standard.sensors.time_delta")
TimeDeltaSensorAsync = sensor("TimeDeltaSensorAsync", "airflow.providers.standard.sensors.time_delta")
WaitSensor = sensor("WaitSensor", "airflow.providers.standard.sensors.time_delta")

__all__ = ['TimeDeltaSensor', 'TimeDeltaSensorAsync', 'WaitSensor']
