"""Airflow's task context as real Python objects: `ti` with XCom, `dag_run` with `.conf`, pendulum dates,
`params`, `macros`... built from the runner's input (python/PROTOCOL.md), plus `get_current_context()`."""
import contextlib
import os

from airflow_serverless.runtime import xcom as _xcom
from airflow_serverless.runtime.dates import parse_instant
from airflow_serverless.runtime.macros import build_macros

try:
    from airflow_serverless.errors import NotYetSupported
except ImportError:  # the authoring package's error type, when it is not there (unit tests of the runtime)
    class NotYetSupported(Exception):
        pass


_NOTSET = object()


class DagRun:
    """What `context["dag_run"]` offers: attributes only, like Airflow's DagRun (not subscriptable)."""

    def __init__(self, fields):
        self.dag_id = fields.get("dag_id")
        self.run_id = fields.get("run_id")
        self.run_type = fields.get("run_type")
        self.conf = dict(fields.get("conf") or {})
        self.logical_date = parse_instant(fields.get("logical_date"))
        self.data_interval_start = parse_instant(fields.get("data_interval_start"))
        self.data_interval_end = parse_instant(fields.get("data_interval_end"))
        self.run_after = parse_instant(fields.get("run_after"))
        self.start_date = parse_instant(fields.get("start_date"))
        self.end_date = None
        self.state = "running"
        self.clear_number = 0
        self.external_trigger = self.run_type == "manual"
        self.triggered_by = None

    @property
    def execution_date(self):
        """Airflow 2's name for logical_date (still read by Airflow 2 DAG files)."""
        return self.logical_date

    def __repr__(self):
        return "<DagRun %s @ %s: %s, state:%s>" % (self.dag_id, self.logical_date, self.run_id, self.state)


class TaskInstance:
    """Airflow 3's RuntimeTaskInstance, as far as a task uses it: identity, try, and XCom on the volume."""

    def __init__(self, fields, volume_root, task=None, dag_run=None):
        self.dag_id = fields["dag_id"]
        self.task_id = fields["task_id"]
        self.run_id = fields["run_id"]
        self.map_index = fields.get("map_index", -1)
        self.try_number = fields.get("try_number", 1)
        self.max_tries = fields.get("max_tries", 0)
        self.task = task
        self.dag_run = dag_run
        self.state = "running"
        self.hostname = os.uname().nodename
        self.pid = os.getpid()
        self.start_date = None
        self.end_date = None
        self.log_url = "airflow-serverless://logs/%s/%s/%s/%d" % (self.dag_id, self.run_id, self.task_id, self.try_number)
        self._volume_root = volume_root

    @property
    def operator(self):
        return type(self.task).__name__ if self.task is not None else None

    @property
    def logical_date(self):
        return self.dag_run.logical_date if self.dag_run is not None else None

    execution_date = logical_date  # Airflow 2's name

    def get_dagrun(self):
        return self.dag_run

    def get_template_context(self):
        """The running task's context (Airflow builds it from the task instance)."""
        return get_current_context()

    @property
    def log(self):
        import logging

        return logging.getLogger("airflow.task")

    def xcom_push(self, key, value, execution_date=None):
        """`execution_date` (Airflow 2) is accepted and ignored: the value always belongs to this try."""
        _xcom.write_xcom(self._volume_root, self.dag_id, self.run_id, self.task_id, self.map_index, key, value,
                         self.logical_date)

    def _pull_one(self, dag_id, run_id, task_id, map_index, key, include_prior_dates):
        if include_prior_dates:
            return _xcom.read_latest_prior(self._volume_root, dag_id, run_id, task_id, map_index, key, self.logical_date)
        return _xcom.read_xcom(self._volume_root, dag_id, run_id, task_id, map_index, key)

    def xcom_pull(self, task_ids=None, dag_id=None, key=_xcom.XCOM_RETURN_KEY, include_prior_dates=False, *,
                  map_indexes=_NOTSET, default=None, run_id=None, session=None):
        """Airflow 3's rules: no task_ids means this task; a single id gives a value (or `default`); a list
        gives the list of the values found, in the order asked; `key=None` means `return_value`."""
        dag_id = dag_id or self.dag_id
        run_id = run_id or self.run_id
        key = key or _xcom.XCOM_RETURN_KEY
        if task_ids is None:
            entry = self._pull_one(dag_id, run_id, self.task_id, self.map_index, key, include_prior_dates)
            return default if entry is None else entry.get("value")
        if isinstance(map_indexes, int):
            map_index = map_indexes
        elif map_indexes is _NOTSET or map_indexes is None:
            map_index = -1
        else:
            raise NotYetSupported("xcom_pull with a list of map_indexes is not supported yet by airflow-serverless")
        if isinstance(task_ids, str):
            entry = self._pull_one(dag_id, run_id, task_ids, map_index, key, include_prior_dates)
            return default if entry is None else entry.get("value")
        values = []
        for task_id in task_ids:
            entry = self._pull_one(dag_id, run_id, task_id, map_index, key, include_prior_dates)
            if entry is not None:
                values.append(entry.get("value"))
        return values

    def __repr__(self):
        return "<TaskInstance: %s.%s %s map_index=%d [running]>" % (self.dag_id, self.task_id, self.run_id, self.map_index)


class _Unsupported:
    """`var` and `conn`: present, so `"var" in context` holds, but any use names the missing feature."""

    def __init__(self, feature):
        self._feature = feature

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotYetSupported("%s is not supported yet by airflow-serverless" % self._feature)

    def __getitem__(self, name):
        raise NotYetSupported("%s is not supported yet by airflow-serverless" % self._feature)

    def __repr__(self):
        return "<%s: not supported yet>" % self._feature


class Info:
    """A plain object with the given attributes (the `dag`/`task` of a YAML callable)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return "<%s>" % ", ".join("%s=%r" % item for item in sorted(self.__dict__.items()))


def build_context(spec, dag=None, task=None):
    """The context dict for one try. `dag`/`task` are the real objects in a DAG file's task; for a YAML
    callable they are plain objects built from the input. Date keys exist only when the run has a
    logical date, as in Airflow 3."""
    fields = spec.get("context") or {}
    run_fields = fields.get("dag_run") or {}
    dag_run = DagRun(run_fields)
    if dag is None:
        dag_fields = fields.get("dag") or {}
        dag = Info(dag_id=dag_fields.get("dag_id"), owner=dag_fields.get("owner"), tags=dag_fields.get("tags", []),
                   fileloc=dag_fields.get("fileloc"), timezone=dag_fields.get("timezone", "UTC"))
    if task is None:
        task_fields = fields.get("task") or {}
        task = Info(task_id=task_fields.get("task_id", spec["ti"]["task_id"]), owner=task_fields.get("owner"),
                    retries=task_fields.get("retries"), trigger_rule=task_fields.get("trigger_rule"),
                    operator_class=task_fields.get("operator_class"))
    ti = TaskInstance(spec["ti"], spec["volume_root"], task=task, dag_run=dag_run)
    context = {
        "dag": dag,
        "task": task,
        "ti": ti,
        "task_instance": ti,
        "dag_run": dag_run,
        "run_id": dag_run.run_id,
        # DAG params, task params, then the run's conf, merged by the worker. A plain dict: `params["x"]`
        # in Python, `params.x` in templates, and the same messages as YAML templates when a key is missing.
        "params": dict(fields.get("params") or {}),
        "macros": build_macros(),
        "var": _Unsupported("Variables (var.value / var.json)"),
        "conn": _Unsupported("Connections (conn.<conn_id>)"),
        "inlets": [],
        "outlets": [],
        "inlet_events": {},
        "outlet_events": {},
        "triggering_asset_events": {},
        "expanded_ti_count": None,
        "map_index_template": None,
        "templates_dict": None,
        "test_mode": False,
        "task_reschedule_count": 0,
        "prev_data_interval_start_success": None,
        "prev_data_interval_end_success": None,
        "prev_start_date_success": None,
        "prev_end_date_success": None,
    }
    logical_date = dag_run.logical_date
    if logical_date is not None:
        ds_nodash = logical_date.strftime("%Y%m%d")
        context.update({
            "logical_date": logical_date,
            "data_interval_start": dag_run.data_interval_start or logical_date,
            "data_interval_end": dag_run.data_interval_end or logical_date,
            "ds": logical_date.strftime("%Y-%m-%d"),
            "ds_nodash": ds_nodash,
            "ts": logical_date.isoformat(),
            "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
            "ts_nodash_with_tz": logical_date.isoformat().replace("-", "").replace(":", ""),
            "task_instance_key_str": "%s__%s__%s" % (ti.dag_id, ti.task_id, ds_nodash),
        })
        context.update(_airflow2_names(context))
    else:
        context["task_instance_key_str"] = "%s__%s" % (ti.dag_id, ti.task_id)
    if dag_run.run_after is not None:
        context["run_after"] = dag_run.run_after
    return context


def _airflow2_names(context):
    """The Airflow 2 date names that Airflow 3 removed, derived as Airflow 2 documented their
    replacements, so Airflow 2 DAG files keep working: `execution_date` is the logical date,
    `next_*` the end of the data interval, `yesterday_ds`/`tomorrow_ds` one day around `ds`.
    (`prev_ds`/`prev_execution_date` need the previous run and stay undefined.)"""
    import datetime

    logical = context["logical_date"]
    end = context["data_interval_end"]
    yesterday = logical - datetime.timedelta(days=1)
    tomorrow = logical + datetime.timedelta(days=1)
    return {
        "execution_date": logical,
        "next_execution_date": end,
        "next_ds": end.strftime("%Y-%m-%d"),
        "next_ds_nodash": end.strftime("%Y%m%d"),
        "yesterday_ds": yesterday.strftime("%Y-%m-%d"),
        "yesterday_ds_nodash": yesterday.strftime("%Y%m%d"),
        "tomorrow_ds": tomorrow.strftime("%Y-%m-%d"),
        "tomorrow_ds_nodash": tomorrow.strftime("%Y%m%d"),
    }


_current = []


@contextlib.contextmanager
def current_context(context):
    """While a task's code runs, `get_current_context()` returns its context."""
    _current.append(context)
    try:
        yield context
    finally:
        _current.pop()


def get_current_context():
    if not _current:
        raise RuntimeError("Current context was requested but no context was found! Are you running within an Airflow task?")
    return _current[-1]
