"""The execute bodies of Airflow's standard operators. The authoring package's operator classes
delegate here (`PythonOperator.execute(context)` -> `execute_python(self, context)`, ...), so the
semantics live in one place: how a callable receives the context, what a branch or a short circuit
returns, how bash runs. What the worker must learn besides the return value (the branch to follow, a
short circuit) is recorded in `outcome` and written to the result file by the runner.
"""
import logging
import os
import sys

log = logging.getLogger("airflow.task.operators")


class Outcome:
    """The try's side results, beyond its return value."""

    def __init__(self):
        self.follow_task_ids = None
        self.short_circuit = None


outcome = Outcome()


def reset_outcome():
    global outcome
    outcome = Outcome()
    return outcome


def airflow_exception(name):
    """The authoring package's exception class (so user code that catches it sees ours); a plain local
    class with the same name when the package is absent (unit tests of the runtime alone)."""
    try:
        import airflow.exceptions as exceptions

        return getattr(exceptions, name)
    except (ImportError, AttributeError):
        return _LOCAL_EXCEPTIONS.setdefault(name, type(name, (Exception,), {}))


_LOCAL_EXCEPTIONS = {}


# --- calling a Python callable as Airflow does --------------------------------------------------

_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08


def _parameters(function):
    """(parameter names in order, has **kwargs). Read from the code object for plain functions and
    methods: `inspect` costs milliseconds to import at every task start."""
    code = getattr(function, "__code__", None)
    skip = 0
    if code is None and hasattr(function, "__func__"):
        code = getattr(function.__func__, "__code__", None)
        skip = 1
    if code is not None and not hasattr(function, "__signature__") and not hasattr(function, "__wrapped__"):
        count = code.co_argcount + code.co_kwonlyargcount
        names = list(code.co_varnames[skip:count])
        if code.co_flags & _CO_VARARGS:
            names.insert(code.co_argcount - skip, code.co_varnames[count])
        return names, bool(code.co_flags & _CO_VARKEYWORDS)
    import inspect

    parameters = inspect.signature(function).parameters
    return list(parameters), any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def determine_kwargs(function, args, kwargs):
    """Airflow's KeywordParameters.determine: a callable with `**kwargs` gets everything; otherwise only
    the names it declares. A positional argument whose parameter name is also a context key is refused,
    as Airflow refuses it."""
    names, wildcard = _parameters(function)
    for name in names[:len(args)]:
        if name in kwargs:
            raise ValueError("The key %r in args is a part of kwargs and therefore reserved." % name)
    if wildcard:
        return dict(kwargs)
    return {name: kwargs[name] for name in names if name in kwargs}


def _op_args(op):
    return list(getattr(op, "op_args", None) or [])


def _op_kwargs(op):
    return dict(getattr(op, "op_kwargs", None) or {})


def call_python(op, context):
    """PythonOperator.execute's core: op_kwargs and templates_dict merged into the context, the callable
    called with what it asks for. Returns its return value (logged like Airflow does)."""
    context.update(_op_kwargs(op))
    context["templates_dict"] = getattr(op, "templates_dict", None)
    args = _op_args(op)
    kwargs = determine_kwargs(op.python_callable, args, context)
    value = op.python_callable(*args, **kwargs)
    if getattr(op, "show_return_value_in_logs", True):
        log.info("Done. Returned value was: %s", value)
    else:
        log.info("Done. Returned value not shown")
    return value


def execute_python(op, context):
    return call_python(op, context)


def _returns_mapping(function):
    """`-> dict[str, int]` (any Mapping) means multiple_outputs, as Airflow infers it."""
    import collections.abc
    import typing

    try:
        annotation = typing.get_type_hints(function).get("return")
    except Exception:
        return False
    origin = getattr(annotation, "__origin__", annotation)
    return isinstance(origin, type) and issubclass(origin, collections.abc.Mapping)


def execute_decorated(op, context):
    """`@task`: PythonOperator semantics, then `multiple_outputs` pushes each key of the returned dict
    (the whole dict still becomes `return_value`)."""
    value = call_python(op, context)
    multiple = getattr(op, "multiple_outputs", None)
    if multiple is None:
        multiple = _returns_mapping(op.python_callable)
    if not multiple or value is None:
        return value
    AirflowException = airflow_exception("AirflowException")
    if not isinstance(value, dict):
        raise AirflowException("Returned output was type %s expected dictionary for multiple_outputs" % type(value))
    for key in value:
        if not isinstance(key, str):
            raise AirflowException("Returned dictionary keys must be strings when using multiple_outputs, "
                                   "found %s (%s) instead" % (key, type(key)))
    for key, item in value.items():
        context["ti"].xcom_push(key=key, value=item)
    return value


# --- branching and short circuits ----------------------------------------------------------------

def _valid_follow_ids(op, branches):
    """Airflow's skip_all_except checks: None, a task id, or an iterable of ids, each a task or a task
    group of the DAG (the scheduler expands groups)."""
    AirflowException = airflow_exception("AirflowException")
    if branches is None:
        return []
    if isinstance(branches, str):
        ids = [branches]
    else:
        try:
            ids = list(branches)
        except TypeError:
            raise AirflowException("'branch_task_ids' must be either None, a task ID, or an Iterable of IDs, "
                                   "but got %r." % type(branches).__name__) from None
        wrong = sorted({(repr(i), type(i).__name__) for i in ids if not isinstance(i, str)})
        if wrong:
            raise AirflowException("'branch_task_ids' expected all task IDs are strings. Invalid tasks found: %s."
                                   % ", ".join("(%s, %r)" % item for item in wrong))
    dag = getattr(op, "dag", None)
    task_dict = getattr(dag, "task_dict", None)
    if task_dict is not None:
        groups = getattr(dag, "task_group_dict", None) or {}
        invalid = sorted(set(i for i in ids if i not in task_dict and i not in groups))
        if invalid:
            raise AirflowException("'branch_task_ids' must contain only valid task_ids. Invalid tasks found: %s." % invalid)
    seen = []
    for i in ids:
        if i not in seen:
            seen.append(i)
    return seen


def do_branch(op, context, branches):
    """Airflow's BranchMixIn.do_branch (custom branch operators call it too): follow `branches`."""
    outcome.follow_task_ids = _valid_follow_ids(op, branches)
    log.info("Branch into %s", branches)
    return branches


def execute_branch(op, context):
    """BranchPythonOperator / `@task.branch`: the callable's task id(s) are followed, the other direct
    downstream tasks skipped; the return value is also pushed."""
    return do_branch(op, context, call_python(op, context))


execute_task_branch = execute_branch


def execute_short_circuit(op, context):
    """ShortCircuitOperator / `@task.short_circuit`: a falsy result skips downstream tasks (all of them,
    or with ignore_downstream_trigger_rules=False the direct ones only); nothing is pushed then."""
    condition = call_python(op, context)
    log.info("Condition result is %s", condition)
    if condition:
        log.info("Proceeding with downstream tasks...")
        return condition
    ignore = getattr(op, "ignore_downstream_trigger_rules", True)
    outcome.short_circuit = "all_downstream" if ignore else "direct_downstream"
    log.info("Skipping %s downstream tasks...", "all" if ignore else "direct")
    return None


execute_task_short_circuit = execute_short_circuit


# --- bash ------------------------------------------------------------------------------------------

def _skip_codes(value):
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    return list(value)


def bash_environment(op):
    """Airflow's rules: env None inherits ours; a mapping replaces it unless append_env; AIRFLOW_CTX_*
    (set for this process by the worker) are always there."""
    env = getattr(op, "env", None)
    if env is None:
        result = os.environ.copy()
    elif getattr(op, "append_env", False):
        result = os.environ.copy()
        result.update({str(k): str(v) for k, v in env.items()})
    else:
        result = {str(k): str(v) for k, v in env.items()}
    result.update({k: v for k, v in os.environ.items() if k.startswith("AIRFLOW_CTX_")})
    return result


def run_bash(command, env, cwd, output_encoding="utf-8"):
    """`bash -c command` as our child, in our process group (so the worker's timeout or kill ends it with
    us), stdout and stderr merged and streamed to the log. Returns (exit code, last output line)."""
    import shutil
    import subprocess

    bash = shutil.which("bash") or "/bin/bash"
    log.info("Running command: %s", [bash, "-c", command])
    with subprocess.Popen([bash, "-c", command], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, cwd=cwd, env=env, close_fds=True) as process:
        log.info("Output:")
        last = ""
        out = sys.stdout
        for raw in iter(process.stdout.readline, b""):
            line = raw.decode(output_encoding, errors="backslashreplace").rstrip()
            last = line
            out.write(line + "\n")
            out.flush()
    process.wait()
    log.info("Command exited with return code %s", process.returncode)
    return process.returncode, last


def execute_bash(op, context):
    """BashOperator.execute: exit 0 succeeds with the last output line as return value; an exit code in
    skip_on_exit_code (default 99) skips; any other fails."""
    import shutil
    import tempfile

    AirflowException = airflow_exception("AirflowException")
    command = op.bash_command
    if not isinstance(command, str) or not command.strip():
        raise AirflowException("bash_command must be a non-empty string, got %r" % (command,))
    cwd = getattr(op, "cwd", None)
    temporary = None
    if cwd is not None:
        if not os.path.exists(cwd):
            raise AirflowException("Can not find the cwd: %s" % cwd)
        if not os.path.isdir(cwd):
            raise AirflowException("The cwd %s must be a directory" % cwd)
    else:
        temporary = tempfile.mkdtemp(prefix="airflowtmp")
        log.info("Tmp dir root location: %s", tempfile.gettempdir())
    try:
        code, last = run_bash(command, bash_environment(op), cwd or temporary,
                              getattr(op, "output_encoding", None) or "utf-8")
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    if code in _skip_codes(getattr(op, "skip_on_exit_code", 99)):
        raise airflow_exception("AirflowSkipException")("Bash command returned exit code %s. Skipping." % code)
    if code != 0:
        raise AirflowException("Bash command failed. The command returned a non-zero exit code %s." % code)
    processor = getattr(op, "output_processor", None)
    return processor(last) if callable(processor) else last


def execute_task_bash(op, context):
    """`@task.bash`: the callable returns the command (a non-empty string, else TypeError as in Airflow),
    which is rendered as a template and run as a BashOperator."""
    command = call_python(op, context)
    if not isinstance(command, str) or command.strip() == "":
        raise TypeError("The returned value from the TaskFlow callable must be a non-empty string.")
    from airflow_serverless.runtime.templating import render_template

    op.bash_command = render_template(op, command, context)
    return execute_bash(op, context)
