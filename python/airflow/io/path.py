"""airflow.io.path: Airflow 2's module for ObjectStoragePath; constructing one is refused (not supported yet)."""
from airflow._core.unsupported import ObjectStoragePath

__all__ = ["ObjectStoragePath"]
