"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

TimeSensor = sensor("TimeSensor", "airflow.providers.standard.sensors.time")
TimeSensorAsync = sensor("TimeSensorAsync", "airflow.providers.standard.sensors.time")

__all__ = ['TimeSensor', 'TimeSensorAsync']
