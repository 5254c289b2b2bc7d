"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

PythonSensor = sensor("PythonSensor", "airflow.providers.standard.sensors.python")

__all__ = ['PythonSensor']
