"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

BashSensor = sensor("BashSensor", "airflow.providers.standard.sensors.bash")

__all__ = ['BashSensor']
