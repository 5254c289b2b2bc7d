"""airflow.assets: Airflow import names, re-exported from the core."""
from airflow._core.unsupported import Asset, AssetAlias, AssetAll, AssetAny

__all__ = ['Asset', 'AssetAlias', 'AssetAll', 'AssetAny']
