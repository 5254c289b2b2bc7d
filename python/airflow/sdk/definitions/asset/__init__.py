"""airflow.sdk.definitions.asset: Airflow import names, re-exported from the core."""
from airflow._core.unsupported import Asset, AssetAlias, AssetAll, AssetAny, Metadata

__all__ = ['Asset', 'AssetAlias', 'AssetAll', 'AssetAny', 'Metadata']
