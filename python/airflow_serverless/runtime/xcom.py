"""XCom on the volume, in the layout of src/volume-layout.ts: one JSON file per
(dag_id, run_id, task_id, map_index, key) at `xcom/<dag_id>/<run_id>/<task_id>[/<map_index>]/<key>.json`,
holding `{"dag_id", "run_id", "task_id", "map_index", "key", "value", "timestamp"}` and, for runs that
have one, `"logical_date"` (what `include_prior_dates` orders by).
"""
import datetime
import json
import math
import os

XCOM_RETURN_KEY = "return_value"


def path_segment(value):
    """One id (DAG, run, task, XCom key) as exactly one path segment, whatever the id: the rule of
    `pathSegment` in src/volume-layout.ts, which writes and reads the same files (test/id-paths.test.ts
    checks both build the same paths). `/` and NUL are encoded; an empty id, `.` and `..` (a folder, or
    its parent) never name a folder; `%` is encoded first, so `%2F` in an id never meets a `/`."""
    encoded = str(value).replace("%", "%25").replace("/", "%2F").replace("\0", "%00")
    if encoded == "":
        return "%00"
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def _task_dir(run_dir, task_id, map_index):
    parts = [run_dir, path_segment(task_id)]
    if map_index is not None and map_index >= 0:
        parts.append(str(map_index))
    return os.path.join(*parts)


def xcom_dir(volume_root, dag_id, run_id, task_id, map_index):
    return _task_dir(os.path.join(volume_root, "xcom", path_segment(dag_id), path_segment(run_id)), task_id, map_index)


def xcom_path(volume_root, dag_id, run_id, task_id, map_index, key):
    return os.path.join(xcom_dir(volume_root, dag_id, run_id, task_id, map_index), path_segment(key) + ".json")


def to_json_value(value, where="XCom value"):
    """The JSON form of a value, the way Airflow 3's serde keeps the common types (tuples and sets become
    lists, dates ISO strings, durations seconds, dataclasses dicts). Anything else raises TypeError, as
    Airflow does for a value it cannot serialise: a silent str() would hand the next task garbage."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise TypeError("%s: %r cannot be stored as JSON" % (where, value))
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise TypeError("%s: dict key %r of type %s cannot be stored as JSON" % (where, key, type(key).__name__))
            out[key if isinstance(key, str) else json.dumps(key)] = to_json_value(item, where)
        return out
    if isinstance(value, (list, tuple)):
        return [to_json_value(item, where) for item in value]
    if isinstance(value, (set, frozenset)):
        items = [to_json_value(item, where) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if type(value).__name__ == "Decimal":
        return float(value)
    if hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type):
        import dataclasses

        return to_json_value(dataclasses.asdict(value), where)
    raise TypeError("%s: cannot serialize object of type %s" % (where, type(value).__name__))


def _now_iso():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


def write_xcom(volume_root, dag_id, run_id, task_id, map_index, key, value, logical_date=None):
    """Atomic (temporary file, then rename), so a reader never sees half a file. `logical_date` (the
    run's, an aware datetime) is kept for `include_prior_dates`."""
    if not isinstance(key, str) or not key:
        raise ValueError("XCom key must be a non-empty string, got %r" % (key,))
    json_value = to_json_value(value, "XCom %r" % key)
    path = xcom_path(volume_root, dag_id, run_id, task_id, map_index, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    entry = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index,
             "key": key, "value": json_value, "timestamp": _now_iso()}
    if logical_date is not None:
        entry["logical_date"] = _utc_iso(logical_date)
    temporary = "%s.%d.tmp" % (path, os.getpid())
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(entry, handle)
    os.replace(temporary, path)


def read_xcom(volume_root, dag_id, run_id, task_id, map_index, key):
    """The stored entry (a dict), or None when there is none (a stored null is an entry)."""
    try:
        with open(xcom_path(volume_root, dag_id, run_id, task_id, map_index, key), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def _utc_iso(value):
    utc = value.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (utc.microsecond // 1000)


def _instant(text):
    try:
        return datetime.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except (TypeError, ValueError, AttributeError):
        return None


def read_latest_prior(volume_root, dag_id, run_id, task_id, map_index, key, logical_date=None):
    """`include_prior_dates=True`, as Airflow reads it: among this task's entries in every run of the DAG
    whose logical date is at or before this run's, the one with the latest logical date. Entries without
    a logical date (written before it was recorded, or by runs without one) only count for this run."""
    own = read_xcom(volume_root, dag_id, run_id, task_id, map_index, key)
    if logical_date is None:
        return own
    best, best_date = own, logical_date if own is not None else None
    dag_dir = os.path.join(volume_root, "xcom", path_segment(dag_id))
    try:
        runs = os.listdir(dag_dir)
    except (FileNotFoundError, NotADirectoryError):
        return own
    for run in runs:
        if run == path_segment(run_id):
            continue
        # The folder as listed, never decoded back into an id: whatever it is named, the path stays in it.
        path = os.path.join(_task_dir(os.path.join(dag_dir, run), task_id, map_index), path_segment(key) + ".json")
        try:
            with open(path, encoding="utf-8") as handle:
                candidate = json.load(handle)
        except (FileNotFoundError, NotADirectoryError, ValueError):
            continue
        when = _instant(candidate.get("logical_date"))
        if when is None or when > logical_date:
            continue
        if best_date is None or when > best_date:
            best, best_date = candidate, when
    return best
