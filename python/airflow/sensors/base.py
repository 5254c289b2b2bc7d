"""Sensors are importable; constructing one is refused (NotYetSupported) until sensors exist."""
from airflow._core.unsupported import BaseSensorOperator, PokeReturnValue

__all__ = ['BaseSensorOperator', 'PokeReturnValue']
