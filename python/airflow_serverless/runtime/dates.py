"""Dates as tasks see them: pendulum DateTimes in UTC (the real pendulum when importable, else the
package's stand-in from python/_fallback, else plain aware `datetime`s), and Airflow's date filters."""
import datetime


def _pendulum():
    try:
        import pendulum
    except ImportError:
        return None
    return pendulum if hasattr(pendulum, "instance") else None


def parse_instant(text):
    """An ISO-8601 instant from the TypeScript side (`2024-01-01T00:00:00.000Z`) -> aware UTC datetime."""
    if text is None:
        return None
    value = datetime.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    value = value.astimezone(datetime.timezone.utc)
    pendulum = _pendulum()
    if pendulum is not None:
        try:
            # Naive UTC plus tz="UTC": pendulum's own UTC zone, so repr() reads `tzinfo=Timezone('UTC')` with the
            # stand-in as with the real pendulum (an aware value would keep datetime.timezone.utc in the stand-in).
            return pendulum.instance(value.replace(tzinfo=None), tz="UTC")
        except Exception:  # a partial stand-in: plain datetimes still print and compare the same
            return value
    return value


# Airflow's template filters (airflow/templates.py): None stays None.
def ds_filter(value):
    return None if value is None else value.strftime("%Y-%m-%d")


def ds_nodash_filter(value):
    return None if value is None else value.strftime("%Y%m%d")


def ts_filter(value):
    return None if value is None else value.isoformat()


def ts_nodash_filter(value):
    return None if value is None else value.strftime("%Y%m%dT%H%M%S")


def ts_nodash_with_tz_filter(value):
    return None if value is None else value.isoformat().replace("-", "").replace(":", "")


FILTERS = {
    "ds": ds_filter,
    "ds_nodash": ds_nodash_filter,
    "ts": ts_filter,
    "ts_nodash": ts_nodash_filter,
    "ts_nodash_with_tz": ts_nodash_with_tz_filter,
}
