"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

DateTimeSensor = sensor("DateTimeSensor", "airflow.sensors.date_time")
DateTimeSensorAsync = sensor("DateTimeSensorAsync", "airflow.sensors.date_time")

__all__ = ['DateTimeSensor', 'DateTimeSensorAsync']
