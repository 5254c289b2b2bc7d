"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

ExternalTaskSensor = sensor("ExternalTaskSensor", "airflow.providers.standard.sensors.external_task")
ExternalTaskMarker = sensor("ExternalTaskMarker", "airflow.providers.standard.sensors.external_task")

__all__ = ['ExternalTaskSensor', 'ExternalTaskMarker']
