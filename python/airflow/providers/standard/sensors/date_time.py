"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

DateTimeSensor = sensor("DateTimeSensor", "airflow.providers.standard.sensors.date_time")
DateTimeSensorAsync = sensor("DateTimeSensorAsync", "airflow.providers.standard.sensors.date_time")

__all__ = ['DateTimeSensor', 'DateTimeSensorAsync']
