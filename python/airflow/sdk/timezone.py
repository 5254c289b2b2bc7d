"""airflow.sdk.timezone: Airflow 3's spelling of airflow.utils.timezone."""
from airflow.utils.timezone import (  # noqa: F401
    coerce_datetime,
    convert_to_utc,
    datetime,
    is_localized,
    is_naive,
    make_aware,
    make_naive,
    parse,
    utc,
    utcnow,
)

__all__ = ["utc", "utcnow", "datetime", "make_aware", "make_naive", "convert_to_utc", "coerce_datetime", "parse",
           "is_localized", "is_naive"]
