"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue, sensor

DayOfWeekSensor = sensor("DayOfWeekSensor", "airflow.providers.standard.sensors.weekday")

__all__ = ['DayOfWeekSensor']
