"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

ExternalTaskSensor = sensor("ExternalTaskSensor", "airflow.sensors.external_task")
ExternalTaskMarker = sensor("ExternalTaskMarker", "airflow.sensors.external_task")

__all__ = ['ExternalTaskSensor', 'ExternalTaskMarker']
