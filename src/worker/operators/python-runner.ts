/**
 * The Python side of the Python operators, kept as a string so the built runtime needs no extra files:
 * the task function writes it to a temporary file and runs it with `python3`. It reads its input from the
 * JSON file named by AIRFLOW_SERVERLESS_TASK_INPUT and writes the outcome to AIRFLOW_SERVERLESS_TASK_RESULT;
 * stdout and stderr belong to the user's code (they go to the log) and are never parsed.
 */
import type { TaskInstanceFields } from '../template-context.js';

export const INPUT_ENV = 'AIRFLOW_SERVERLESS_TASK_INPUT';
export const RESULT_ENV = 'AIRFLOW_SERVERLESS_TASK_RESULT';

/** What the runner reads. */
export interface PythonRunnerInput {
  dags_dir: string;
  /** Absolute path of the callable's file, or null when `callable_name` is a dotted `module.func`. */
  callable_file: string | null;
  callable_name: string;
  op_args: unknown[];
  op_kwargs: Record<string, unknown>;
  /** Context values offered to the callable by parameter name (`ds`, `params`, `dag_run`, ...). */
  context: Record<string, unknown>;
  /** For `ti.xcom_pull` / `ti.xcom_push` inside the callable. */
  volume_root: string;
  ti: TaskInstanceFields;
}

/** What the runner writes. */
export type PythonRunnerResult =
  | { ok: true; value: unknown; is_none: boolean; truthy: boolean; stringified: boolean }
  | { ok: false; phase: 'import' | 'call'; error: string; exception: string };

export const PYTHON_RUNNER_SOURCE = String.raw`
import datetime
import importlib
import importlib.util
import inspect
import json
import os
import sys
import traceback


def _segment(value):
    # The rule of pathSegment in src/volume-layout.ts: one id, one path segment, never '.' or '..'.
    encoded = str(value).replace("/", "%2F").replace("\0", "%00")
    if encoded == "":
        return "%00"
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def _now_iso():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


class TaskInstance:
    """The part of Airflow's TaskInstance a callable usually touches: identity and XCom."""

    def __init__(self, ident, volume_root):
        self.dag_id = ident["dag_id"]
        self.task_id = ident["task_id"]
        self.run_id = ident["run_id"]
        self.map_index = ident["map_index"]
        self.try_number = ident["try_number"]
        self.max_tries = ident["max_tries"]
        self._volume_root = volume_root

    def _xcom_path(self, dag_id, run_id, task_id, map_index, key):
        parts = [self._volume_root, "xcom", _segment(dag_id), _segment(run_id), _segment(task_id)]
        if map_index is not None and map_index >= 0:
            parts.append(str(map_index))
        return os.path.join(*parts, _segment(key) + ".json")

    def _read(self, dag_id, run_id, task_id, map_index, key):
        try:
            with open(self._xcom_path(dag_id, run_id, task_id, map_index, key), encoding="utf-8") as handle:
                return True, json.load(handle).get("value")
        except FileNotFoundError:
            return False, None

    def xcom_pull(self, task_ids=None, dag_id=None, key="return_value", include_prior_dates=False, *,
                  map_indexes=None, default=None, run_id=None):
        dag_id = dag_id or self.dag_id
        run_id = run_id or self.run_id
        key = key or "return_value"
        if task_ids is None:
            found, value = self._read(dag_id, run_id, self.task_id, self.map_index, key)
            return value if found else default
        map_index = map_indexes if isinstance(map_indexes, int) else -1
        if isinstance(task_ids, str):
            found, value = self._read(dag_id, run_id, task_ids, map_index, key)
            return value if found else default
        values = []
        for task_id in task_ids:
            found, value = self._read(dag_id, run_id, task_id, map_index, key)
            if found:
                values.append(value)
        return values

    def xcom_push(self, key, value):
        path = self._xcom_path(self.dag_id, self.run_id, self.task_id, self.map_index, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        entry = {"dag_id": self.dag_id, "run_id": self.run_id, "task_id": self.task_id,
                 "map_index": self.map_index, "key": key, "value": value, "timestamp": _now_iso()}
        temporary = path + ".%d.tmp" % os.getpid()
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(entry, handle, default=str)
        os.replace(temporary, path)

    def __repr__(self):
        return "<TaskInstance: %s.%s %s [running]>" % (self.dag_id, self.task_id, self.run_id)


def _last_line(error):
    lines = "".join(traceback.format_exception_only(type(error), error)).strip().splitlines()
    return lines[-1] if lines else type(error).__name__


def _resolve_attribute(target, dotted):
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def _load_callable(spec):
    dags_dir = spec["dags_dir"]
    if dags_dir not in sys.path:
        sys.path.insert(0, dags_dir)
    callable_file = spec["callable_file"]
    name = spec["callable_name"]
    if callable_file:
        folder = os.path.dirname(callable_file)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        module_name = os.path.splitext(os.path.basename(callable_file))[0]
        module_spec = importlib.util.spec_from_file_location(module_name, callable_file)
        if module_spec is None or module_spec.loader is None:
            raise ImportError("Cannot load a Python module from %s" % callable_file)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        module_spec.loader.exec_module(module)
        return _resolve_attribute(module, name)
    module_name, _, attribute = name.rpartition(".")
    if not module_name:
        raise ImportError("python_callable %r must be 'module.function' when no python_callable_file is given" % name)
    return _resolve_attribute(importlib.import_module(module_name), attribute)


def _keyword_arguments(function, op_args, op_kwargs, context):
    """Like Airflow: op_kwargs, plus every context value the signature names (all of them with **kwargs)."""
    kwargs = dict(op_kwargs)
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters):
        for name, value in context.items():
            kwargs.setdefault(name, value)
        return kwargs
    positional = [p for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    taken = {p.name for p in positional[:len(op_args)]}
    for p in parameters:
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY) \
                and p.name in context and p.name not in kwargs and p.name not in taken:
            kwargs[p.name] = context[p.name]
    return kwargs


def _write_result(path, result):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(temporary, path)


def _serialisable(value):
    try:
        return json.loads(json.dumps(value, allow_nan=False)), False
    except (TypeError, ValueError):
        return str(value), True


def main():
    with open(os.environ["${INPUT_ENV}"], encoding="utf-8") as handle:
        spec = json.load(handle)
    result_path = os.environ["${RESULT_ENV}"]
    context = dict(spec["context"])
    ti = TaskInstance(spec["ti"], spec["volume_root"])
    context["ti"] = ti
    context["task_instance"] = ti

    try:
        function = _load_callable(spec)
    except BaseException as error:
        traceback.print_exc()
        _write_result(result_path, {"ok": False, "phase": "import", "error": _last_line(error),
                                    "exception": type(error).__name__})
        return 1

    op_args = spec["op_args"]
    try:
        kwargs = _keyword_arguments(function, op_args, spec["op_kwargs"], context)
        value = function(*op_args, **kwargs)
    except BaseException as error:
        traceback.print_exc()
        _write_result(result_path, {"ok": False, "phase": "call", "error": _last_line(error),
                                    "exception": type(error).__name__})
        # A failed try's process exits 1, as Airflow's task runner does; 0 would read as a success in the log.
        return 1

    print("Done. Returned value was: %s" % (value,), flush=True)
    try:
        truthy = bool(value)
    except Exception:
        truthy = True
    serialised, stringified = _serialisable(value)
    _write_result(result_path, {"ok": True, "value": serialised, "is_none": value is None,
                                "truthy": truthy, "stringified": stringified})
    return 0


if __name__ == "__main__":
    sys.exit(main())
`;
