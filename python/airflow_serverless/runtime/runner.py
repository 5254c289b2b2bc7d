"""The task runner (python/PROTOCOL.md, "Task runner"): one process, one try.

mode "dag_file": import the DAG file through the authoring package, find the DAG and the task, render
the task's template fields, run `task.execute(context)`. mode "callable": a YAML PythonOperator /
BranchPythonOperator / ShortCircuitOperator, whose fields the worker has rendered; the callable runs
with the same context objects and call rules. Either way the outcome goes to the result file, and
stdout/stderr (print, logging, tracebacks) are the task log.
"""
import importlib
import importlib.util
import json
import logging
import os
import sys

INPUT_ENV = "AIRFLOW_SERVERLESS_TASK_INPUT"
RESULT_ENV = "AIRFLOW_SERVERLESS_TASK_RESULT"
MAX_ERROR = 500

log = logging.getLogger("airflow.task")


def _print_exc():
    import traceback

    traceback.print_exc()


class _Failure(Exception):
    """Ends the try with a result already decided (status, one-line error, no_retry)."""

    def __init__(self, result):
        super().__init__(result.get("error"))
        self.result = result


def configure_logging():
    """Airflow-like lines on stderr, which the worker writes to the task log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s",
                                           "%Y-%m-%d, %H:%M:%S UTC"))
    handler.formatter.converter = __import__("time").gmtime
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def one_line(error):
    text = "%s: %s" % (type(error).__name__, error) if str(error) else type(error).__name__
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR - 3] + "..."


def _names(error):
    return {klass.__name__ for klass in type(error).__mro__}


def classify(error):
    """Airflow's meaning of an exception: skip, fail without retry, or fail (retried)."""
    names = _names(error)
    if "AirflowSkipException" in names:
        return {"status": "skipped", "error": one_line(error)}
    if names & {"AirflowFailException", "AirflowSensorTimeout"}:
        return {"status": "failed", "error": one_line(error), "no_retry": True}
    return {"status": "failed", "error": one_line(error), "no_retry": False}


def setup_sys_path(dags_dir):
    """python/ first (already sys.path[0] for the launcher), the DAGs folder right after it, the pendulum
    stand-in at the very end so a real pendulum wins."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if here not in sys.path:
        sys.path.insert(0, here)
    if dags_dir and dags_dir not in sys.path:
        sys.path.insert(sys.path.index(here) + 1, dags_dir)
    fallback = os.path.join(here, "_fallback")
    if fallback not in sys.path:
        sys.path.append(fallback)


def _location(error, path, dags_dir):
    """`etl/x.py:12` for the deepest frame in the DAG file, else the deepest under the DAGs folder."""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    for wanted in (lambda f: os.path.abspath(f) == path, lambda f: os.path.abspath(f).startswith(dags_dir + os.sep)):
        for frame in reversed(frames):
            if wanted(frame.filename):
                return "%s:%d" % (os.path.relpath(frame.filename, dags_dir), frame.lineno)
    return os.path.relpath(path, dags_dir)


def import_dag_file(path, dags_dir):
    """Imports the file under a unique module name (never __main__, so `if __name__ == "__main__":` blocks
    do not run), like Airflow's DagBag."""
    import hashlib

    stem = os.path.splitext(os.path.basename(path))[0]
    return _exec_file("unusual_prefix_%s_%s" % (hashlib.sha1(path.encode()).hexdigest(), stem), path)


def _exec_file(name, path):
    """Runs a .py file as module `name` (registered in sys.modules first, as an import would)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError("cannot load a Python module from %s" % path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _is_dag(value):
    return hasattr(value, "dag_id") and hasattr(value, "task_dict") and not isinstance(value, type)


def dags_of(module):
    """Every DAG the file made: the module's globals, then the DAGs the authoring package registered
    during the import (`with DAG(...)` blocks and `@dag` calls never assigned to a name)."""
    found = [value for value in vars(module).values() if _is_dag(value)]
    try:
        from airflow._core.state import registered_dags
    except ImportError:
        registered_dags = []
    return found + [dag for dag in registered_dags if not any(dag is other for other in found)]


def load_task(spec):
    dags_dir = os.path.abspath(spec["dags_dir"])
    path = os.path.join(dags_dir, spec["fileloc"])
    try:
        module = import_dag_file(path, dags_dir)
    except Exception as error:
        _print_exc()
        raise _Failure({"status": "failed", "no_retry": True,
                        "error": "%s: %s" % (_location(error, path, dags_dir), one_line(error))}) from None
    dag_id, task_id = spec["dag_id"], spec["task_id"]
    dag = next((d for d in dags_of(module) if d.dag_id == dag_id), None)
    if dag is None:
        raise _Failure({"status": "failed", "no_retry": True,
                        "error": "DAG %r not found in %s" % (dag_id, spec["fileloc"])})
    task = dag.task_dict.get(task_id)
    if task is None:
        raise _Failure({"status": "failed", "no_retry": True,
                        "error": "task %r not found in DAG %r (%s)" % (task_id, dag_id, spec["fileloc"])})
    return dag, task


def _resolve_attribute(target, dotted):
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def load_callable(spec):
    """A YAML callable: `name` inside `file`, or a dotted `module.func` importable from the DAGs folder."""
    info = spec["callable"]
    file, name = info.get("file"), info["name"]
    if file:
        folder = os.path.dirname(file)
        if folder not in sys.path:
            sys.path.insert(1, folder)
        module = _exec_file(os.path.splitext(os.path.basename(file))[0], file)
        return _resolve_attribute(module, name)
    module_name, _, attribute = name.rpartition(".")
    if not module_name:
        raise ImportError("python_callable %r must be 'module.function' when no python_callable_file is given" % name)
    return _resolve_attribute(importlib.import_module(module_name), attribute)


class CallableTask:
    """The `task` of a YAML callable: Airflow's attribute names, filled from the input."""

    template_fields = ()

    def __init__(self, spec, function):
        info = spec["callable"]
        task_fields = (spec.get("context") or {}).get("task") or {}
        self.task_id = spec["ti"]["task_id"]
        self.kind = info.get("kind", "python")
        self.python_callable = function
        self.op_args = list(info.get("op_args") or [])
        self.op_kwargs = dict(info.get("op_kwargs") or {})
        self.templates_dict = info.get("templates_dict")
        self.do_xcom_push = info.get("do_xcom_push", True)
        self.ignore_downstream_trigger_rules = info.get("ignore_downstream_trigger_rules", True)
        self.owner = task_fields.get("owner")
        self.retries = task_fields.get("retries")
        self.trigger_rule = task_fields.get("trigger_rule")
        self.operator_class = task_fields.get("operator_class")
        self.dag = None

    def execute(self, context):
        from airflow_serverless.runtime import operators

        if self.kind == "branch_python":
            return operators.execute_branch(self, context)
        if self.kind == "short_circuit":
            return operators.execute_short_circuit(self, context)
        return operators.execute_python(self, context)

    def __repr__(self):
        return "<Task(%s): %s>" % ((self.operator_class or "PythonOperator").rsplit(".", 1)[-1], self.task_id)


def _resolve_references(value, context):
    """XComArgs (and @dag param references) in a non-templated op_args/op_kwargs."""
    from airflow_serverless.runtime.templating import is_resolvable

    if is_resolvable(value):
        return value.resolve(context)
    if isinstance(value, list):
        return [_resolve_references(v, context) for v in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(_resolve_references(v, context) for v in value)
    if isinstance(value, dict):
        return {k: _resolve_references(v, context) for k, v in value.items()}
    return value


def prepare(task, context):
    """Renders the template fields (a template error fails without retry) and resolves XComArgs."""
    from airflow_serverless.runtime.templating import TemplateRenderError, render_template_fields

    prepare_template = getattr(task, "prepare_template", None)
    if callable(prepare_template):
        prepare_template()
    try:
        render_template_fields(task, context)
    except TemplateRenderError as error:
        log.error("Template rendering failed: %s", error)
        raise _Failure({"status": "failed", "no_retry": True, "error": "%s" % error}) from None
    fields = set(getattr(task, "template_fields", ()) or ())
    for name in ("op_args", "op_kwargs"):
        if name not in fields and getattr(task, name, None):
            setattr(task, name, _resolve_references(getattr(task, name), context))


def on_sigterm(task):
    """The worker ends a try (timeout, taken away) with SIGTERM to its process group: as Airflow does,
    the task's `on_kill()` runs first (custom operators stop what they started), then the process exits."""
    import signal

    def terminate(signum, frame):
        log.error("Received SIGTERM. Terminating subprocesses.")
        on_kill = getattr(task, "on_kill", None)
        if callable(on_kill):
            try:
                on_kill()
            except Exception:
                _print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


def execute(task, context, result):
    from airflow_serverless.runtime import operators
    from airflow_serverless.runtime.xcom import to_json_value

    value = task.execute(context)
    side = operators.outcome
    if side.follow_task_ids is not None:
        result["follow_task_ids"] = side.follow_task_ids
    if side.short_circuit is not None:
        result["short_circuit"] = side.short_circuit
    if value is not None and getattr(task, "do_xcom_push", True):
        result["return_value"] = {"value": to_json_value(value, "return value of task %r" % task.task_id)}


def run(spec):
    """The try, as a result dict (python/PROTOCOL.md)."""
    from airflow_serverless.runtime import operators
    from airflow_serverless.runtime.context import build_context, current_context

    operators.reset_outcome()
    setup_sys_path(spec.get("dags_dir"))
    try:
        if spec.get("mode") == "callable":
            try:
                function = load_callable(spec)
            except Exception as error:
                _print_exc()
                raise _Failure({"status": "failed", "no_retry": True, "error": one_line(error)}) from None
            dag, task = None, CallableTask(spec, function)
        else:
            dag, task = load_task(spec)
        on_sigterm(task)
        context = build_context(spec, dag=dag, task=task)
        result = {"status": "success"}
        with current_context(context):
            try:
                # Rendering is part of the try: a failing macro or a missing XCom fails it like execute.
                if spec.get("mode") != "callable":
                    prepare(task, context)
                execute(task, context, result)
            except _Failure:
                raise
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # SystemExit and AirflowTaskTimeout too: the try fails
                failure = classify(error)
                if failure["status"] == "skipped":
                    log.info("Skipping: %s", failure["error"])
                else:
                    log.error("Task failed with exception")
                    _print_exc()
                return failure
        return result
    except _Failure as failure:
        return failure.result


def write_result(path, result):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(temporary, path)


def main():
    configure_logging()
    with open(os.environ[INPUT_ENV], encoding="utf-8") as handle:
        spec = json.load(handle)
    result = run(spec)
    sys.stdout.flush()
    sys.stderr.flush()
    write_result(os.environ[RESULT_ENV], result)
    return 1 if result["status"] == "failed" else 0
