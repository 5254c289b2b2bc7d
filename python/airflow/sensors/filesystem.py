"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

FileSensor = sensor("FileSensor", "airflow.sensors.filesystem")

__all__ = ['FileSensor']
