"""DAG object -> RawDag JSON (python/PROTOCOL.md "RawDag"; the shape of DagSpec in src/dag/model.ts).

Only facts the user stated are emitted; a value the user did not set is null, so TypeScript applies
the environment's defaults and all validation (ids, cycles, schedules, zones, trigger rules) once for
both front ends. Arguments accepted but not acted on become `warnings` lines.
"""
from __future__ import annotations

import datetime as _dt
import enum
import heapq
import json
import os
from typing import Any

from airflow._core.baseoperator import IGNORED_TASK_ARGS, BaseOperator
from airflow._core.dag import DAG, IGNORED_DAG_ARGS
from airflow._core.dates import to_seconds
from airflow._core.param import Param
from airflow._core.timezones import to_utc_iso
from airflow_serverless.errors import DagSerializationError


def serialize_dag(dag: DAG) -> dict[str, Any]:
    try:
        return _serialize(dag)
    except DagSerializationError:
        raise
    except (ValueError, TypeError) as error:
        raise DagSerializationError(f"DAG '{dag.dag_id}': {error}") from error


def _serialize(dag: DAG) -> dict[str, Any]:
    for task in list(dag.task_dict.values()):
        task._link_template_xcomargs()
    dag.validate()
    zone = dag.timezone
    warnings = list(dag.warnings)
    for name, value in dag._ignored.items():
        warnings.append(f"DAG '{dag.dag_id}': {name}={_show(value)} is accepted and ignored ({IGNORED_DAG_ARGS[name]})")
    default_ignored = {k: v for k, v in dag.default_args.items() if k in IGNORED_TASK_ARGS and v not in (None, False, [], {})}
    for name, value in default_ignored.items():
        warnings.append(
            f"DAG '{dag.dag_id}': default_args {name}={_show(value)} is accepted and ignored ({IGNORED_TASK_ARGS[name]})"
        )

    if dag.task_dict:
        for name, value in dag.default_args.items():
            if name not in dag._accepted_arg_names:
                warnings.append(
                    f"DAG '{dag.dag_id}': default_args {name}={_show(value)} is not an argument of any of its tasks "
                    f"and is ignored"
                )
    tasks = [_task(dag, task, zone, warnings, default_ignored) for task in _topological(dag)]
    params, params_schema = _params(dag.params, f"DAG '{dag.dag_id}' params")
    raw: dict[str, Any] = {
        "dag_id": dag.dag_id,
        "description": dag.description,
        "schedule": dag._schedule_spec,
        "timezone": zone,
        "start_date": to_utc_iso(dag.start_date, zone) if dag.start_date is not None else None,
        "end_date": to_utc_iso(dag.end_date, zone) if dag.end_date is not None else None,
        "catchup": dag._explicit.get("catchup"),
        "max_active_runs": dag._explicit.get("max_active_runs"),
        "max_active_tasks": dag._explicit.get("max_active_tasks"),
        "dagrun_timeout": to_seconds(dag.dagrun_timeout, "dagrun_timeout"),
        "params": params,
        "tags": [_str(tag, "tags") for tag in dag.tags],
        "owners": sorted({t["owner"] for t in tasks if t["owner"] is not None}),
        "is_paused_upon_creation": dag.is_paused_upon_creation,
        "render_template_as_native_obj": dag.render_template_as_native_obj,
        "doc_md": _dag_doc(dag),
        "task_groups": [
            {
                "group_id": group.group_id,
                "parent_group_id": group.task_group.group_id if group.task_group is not None else None,
                "tooltip": group.tooltip or None,
            }
            for group in dag._groups
        ],
        "tasks": tasks,
        "warnings": warnings,
    }
    if "catchup" in dag._explicit:
        raw["catchup"] = bool(dag._explicit["catchup"])
    if params_schema:
        raw["params_schema"] = params_schema
    return raw


def _task(dag: DAG, task: BaseOperator, zone: str, warnings: list[str], default_ignored: dict[str, Any]) -> dict[str, Any]:
    explicit = task._explicit
    where = f"task '{task.task_id}'"
    from_defaults = task.__dict__.get("_from_default_args", set())
    for name, value in task._ignored_args.items():
        if name in from_defaults and name in default_ignored:
            continue  # reported once for the DAG's default_args
        reason = IGNORED_TASK_ARGS.get(name) or type(task)._serverless_ignored_reasons[name]
        warnings.append(f"{where}: {name}={_show(value)} is accepted and ignored ({reason})")
    if task.start_date is not None and task.start_date != dag.start_date and "start_date" not in from_defaults:
        warnings.append(f"{where}: start_date differs from the DAG's and is ignored (tasks run from the DAG's start_date)")
    if task.end_date is not None and task.end_date != dag.end_date and "end_date" not in from_defaults:
        warnings.append(f"{where}: end_date differs from the DAG's and is ignored")
    cls = type(task)
    backoff = None
    if "retry_exponential_backoff" in explicit:
        value = task.retry_exponential_backoff
        backoff = (2 if value else 0) if isinstance(value, bool) else value
    params, _ = _params(task.params, f"{where} params")
    return {
        "task_id": task.task_id,
        "operator": cls._serverless_operator,
        "operator_class": _class_path(cls),
        "args": {} if cls._serverless_operator == "empty" else {"kind": cls._serverless_kind},
        "upstream": sorted(task.upstream_task_ids),
        "trigger_rule": str(getattr(task.trigger_rule, "value", task.trigger_rule)),
        "owner": _str(task.owner, f"{where} owner") if "owner" in explicit else None,
        "retries": task.retries if "retries" in explicit else None,
        "retry_delay": to_seconds(task.retry_delay, f"{where} retry_delay") if "retry_delay" in explicit else None,
        "retry_exponential_backoff": backoff,
        "max_retry_delay": to_seconds(task.max_retry_delay, f"{where} max_retry_delay"),
        "execution_timeout": to_seconds(task.execution_timeout, f"{where} execution_timeout"),
        "depends_on_past": task.depends_on_past if "depends_on_past" in explicit or task.wait_for_downstream else None,
        "task_group_id": task.task_group.group_id if task.task_group is not None else None,
        "params": params,
        "doc_md": _task_doc(task),
        "is_setup": task.is_setup,
        "is_teardown": task.is_teardown,
        "on_failure_fail_dagrun": task.on_failure_fail_dagrun,
    }


def _topological(dag: DAG) -> list[BaseOperator]:
    """Upstream before downstream, ties by task_id; a cycle leaves the rest in definition order (the
    TypeScript validation names the cycle)."""
    tasks = dag.task_dict
    indegree = {tid: len(t.upstream_task_ids & tasks.keys()) for tid, t in tasks.items()}
    ready = [tid for tid, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    out: list[BaseOperator] = []
    while ready:
        tid = heapq.heappop(ready)
        out.append(tasks[tid])
        for down in tasks[tid].downstream_task_ids:
            if down in indegree:
                indegree[down] -= 1
                if indegree[down] == 0:
                    heapq.heappush(ready, down)
    if len(out) < len(tasks):
        seen = {t.task_id for t in out}
        out.extend(t for tid, t in tasks.items() if tid not in seen)
    return out


def _class_path(cls: type) -> str:
    own = cls.__dict__.get("_serverless_class_path")
    if own:
        return own
    module = cls.__module__
    # The parse worker imports a DAG file as `unusual_prefix_<hash>_<stem>` (as Airflow does); show the stem.
    if module.startswith("unusual_prefix_"):
        module = module.split("_", 3)[-1] if module.count("_") >= 3 else module
    return f"{module}.{cls.__name__}"


def _params(params: Any, field: str) -> tuple[dict[str, Any], dict[str, Any]]:
    values: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for name in params:
        param: Param = params.get_param(name)
        value = None if param.value is _notset() else param.value
        values[name] = to_json(value, f"{field}['{name}']")
        schema = dict(param.schema) if isinstance(param.schema, dict) else {}
        if param.description and "description" not in schema:
            schema["description"] = param.description
        if schema:
            schemas[name] = to_json(schema, f"{field}['{name}'] schema")
    return values, schemas


def _notset() -> Any:
    from airflow._core.baseoperator import NOTSET

    return NOTSET


def to_json(value: Any, field: str) -> Any:
    """A JSON-safe copy of `value`; datetimes become ISO strings, sets sorted lists, timedeltas
    seconds. Anything else (a function, an object) fails naming the field."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_json(value.value, field)
    if isinstance(value, _dt.datetime):
        return to_utc_iso(value, "UTC")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, _dt.time):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return to_seconds(value, field)
    if isinstance(value, Param):
        return to_json(None if value.value is _notset() else value.value, field)
    if isinstance(value, (list, tuple)):
        return [to_json(v, field) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_json(v, field) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            # The keys json.dumps accepts, spelled as it spells them (`values_display={None: ...}`).
            if key is None or isinstance(key, bool):
                key = json.dumps(key)
            elif isinstance(key, enum.Enum):
                key = key.value
            if not isinstance(key, (str, int, float)):
                raise DagSerializationError(f"{field}: key {key!r} cannot be a JSON object key")
            out[str(key)] = to_json(item, field)
        return out
    raise DagSerializationError(f"{field}: a {type(value).__name__} value cannot be serialised to JSON")


def _str(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise DagSerializationError(f"{field} must be a string, got {type(value).__name__}")
    return value


def _show(value: Any) -> str:
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    if isinstance(value, (list, tuple)) and value and all(callable(v) for v in value):
        return "[" + ", ".join(getattr(v, "__name__", repr(v)) for v in value) + "]"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _dag_doc(dag: DAG) -> str | None:
    doc = dag.doc_md
    if doc is None:
        return None
    doc = str(doc)
    # Airflow reads `doc_md="README.md"` from the DAG's folder / template_searchpath.
    if doc.endswith(".md") and "\n" not in doc:
        for folder in [os.path.dirname(dag.fileloc), *(dag.template_searchpath or [])]:
            path = os.path.join(folder, doc)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    return f.read()
    return doc


def _task_doc(task: BaseOperator) -> str | None:
    if task.doc_md:
        return str(task.doc_md)
    if task.doc:
        return str(task.doc)
    if task.doc_rst:
        return str(task.doc_rst)
    if task.doc_json:
        return "```json\n" + str(task.doc_json) + "\n```"
    if task.doc_yaml:
        return "```yaml\n" + str(task.doc_yaml) + "\n```"
    return None
