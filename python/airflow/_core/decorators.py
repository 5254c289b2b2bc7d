"""TaskFlow: @task (and .python/.bash/.branch/.short_circuit), @setup, @teardown, @task_group.

Calling a decorated function inside a DAG creates one operator and returns its XComArg; XComArgs in
the call's arguments make their producers upstream, as in Airflow.
"""
from __future__ import annotations

import re
from typing import Any

from airflow._core import state
from airflow._core.operators import BashOperator, BranchPythonOperator, PythonOperator, ShortCircuitOperator
from airflow._core.taskgroup import TaskGroup
from airflow._core.xcom_arg import PlainXComArg
from airflow_serverless.errors import NotYetSupported

# Context keys a @task function may take as parameters without the caller passing them.
KNOWN_CONTEXT_KEYS = frozenset({
    "conf", "conn", "dag", "dag_run", "data_interval_end", "data_interval_start", "ds", "ds_nodash",
    "expanded_ti_count", "exception", "inlets", "inlet_events", "logical_date", "macros", "map_index_template",
    "next_ds", "next_ds_nodash", "next_execution_date", "outlets", "outlet_events", "params",
    "prev_data_interval_start_success", "prev_data_interval_end_success", "prev_ds", "prev_ds_nodash",
    "prev_execution_date", "prev_execution_date_success", "prev_start_date_success", "prev_end_date_success",
    "run_id", "run_after", "task", "task_instance", "task_instance_key_str", "test_mode", "templates_dict", "ti",
    "tomorrow_ds", "tomorrow_ds_nodash", "triggering_asset_events", "triggering_dataset_events", "ts",
    "ts_nodash", "ts_nodash_with_tz", "try_number", "var", "yesterday_ds", "yesterday_ds_nodash",
    "execution_date", "next_ds", "prev_execution_date",
})


def unique_task_id(task_id: str, dag: Any, group: Any) -> str:
    """Airflow's rule for a @task called twice in one DAG: `name`, then `name__1`, `name__2`, ..."""
    if dag is None:
        return task_id
    full = group.child_id(task_id) if group is not None else task_id
    if full not in dag.task_dict:
        return task_id
    core = re.split(r"__\d+$", task_id)[0]
    prefix = group.child_id(core) if group is not None else core
    pattern = re.compile(rf"^{re.escape(prefix)}__(\d+)$")
    suffixes = [int(m.group(1)) for t in dag.task_dict if (m := pattern.match(t))]
    return f"{core}__{max(suffixes) + 1 if suffixes else 1}"


def _infer_multiple_outputs(function: Any) -> bool:
    """Airflow's rule: a return annotation that is a Mapping (dict, Dict[str, int], TypedDict, ...)."""
    try:
        import typing

        hints = typing.get_type_hints(function)
    except Exception:  # unresolvable annotations: Airflow also falls back to False
        return False
    ret = hints.get("return")
    if ret is None:
        return False
    if typing.is_typeddict(ret):
        return True
    origin = getattr(ret, "__origin__", ret)
    from collections.abc import Mapping

    try:
        return isinstance(origin, type) and issubclass(origin, Mapping)
    except TypeError:
        return False


class _DecoratedMixin:
    """What every TaskFlow operator adds: the function and its call arguments."""

    _decorated = True


class _PythonDecoratedOperator(_DecoratedMixin, PythonOperator):
    template_fields: Any = ("templates_dict", "op_args", "op_kwargs")
    custom_operator_name = "@task"
    _serverless_kind = "task"
    _serverless_class_path = "airflow.providers.standard.decorators.python._PythonDecoratedOperator"

    def execute(self, context: Any) -> Any:
        from airflow_serverless.runtime.operators import execute_decorated

        return execute_decorated(self, context)


class _BranchPythonDecoratedOperator(_DecoratedMixin, BranchPythonOperator):
    custom_operator_name = "@task.branch"
    _serverless_kind = "task_branch"
    _serverless_class_path = "airflow.providers.standard.decorators.branch_python._BranchPythonDecoratedOperator"

    def execute(self, context: Any) -> Any:
        from airflow_serverless.runtime.operators import execute_task_branch

        return execute_task_branch(self, context)


class _ShortCircuitDecoratedOperator(_DecoratedMixin, ShortCircuitOperator):
    custom_operator_name = "@task.short_circuit"
    _serverless_kind = "task_short_circuit"
    _serverless_class_path = "airflow.providers.standard.decorators.short_circuit._ShortCircuitDecoratedOperator"

    def execute(self, context: Any) -> Any:
        from airflow_serverless.runtime.operators import execute_task_short_circuit

        return execute_task_short_circuit(self, context)


class _BashDecoratedOperator(_DecoratedMixin, BashOperator):
    """@task.bash: the function's return value (rendered) is the bash command."""

    template_fields: Any = ("bash_command", "env", "cwd", "op_args", "op_kwargs")
    custom_operator_name = "@task.bash"
    _serverless_kind = "task_bash"
    _serverless_class_path = "airflow.providers.standard.decorators.bash._BashDecoratedOperator"

    def __init__(self, *, python_callable: Any, op_args: Any = None, op_kwargs: Any = None,
                 multiple_outputs: bool = False, **kwargs: Any) -> None:
        if multiple_outputs:
            raise ValueError("multiple_outputs=True is not supported by @task.bash")
        # Airflow sets bash_command only when the function runs; until then it is a placeholder.
        super().__init__(bash_command="", **kwargs)
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})

    def execute(self, context: Any) -> Any:
        from airflow_serverless.runtime.operators import execute_task_bash

        return execute_task_bash(self, context)


class _TaskDecorator:
    """A function wrapped by @task(...): calling it creates the operator."""

    def __init__(self, function: Any, operator_class: type, kwargs: dict[str, Any]) -> None:
        if not callable(function):
            raise TypeError("@task needs a function")
        self.function = function
        self.operator_class = operator_class
        self.kwargs = kwargs
        self.is_setup = False
        self.is_teardown = False
        self.on_failure_fail_dagrun = False
        self.__wrapped__ = function
        self.__name__ = getattr(function, "__name__", "task")
        self.__doc__ = getattr(function, "__doc__", None)

    def __call__(self, *args: Any, **kwargs: Any) -> PlainXComArg:
        import inspect

        op_kwargs = dict(self.kwargs)
        multiple_outputs = op_kwargs.pop("multiple_outputs", None)
        if multiple_outputs is None:
            multiple_outputs = _infer_multiple_outputs(self.function)
        if multiple_outputs and self.operator_class is _BashDecoratedOperator:
            multiple_outputs = False
        _check_signature(inspect, self.function, args, kwargs)
        dag, group = state.placement(op_kwargs.get("dag"), op_kwargs.get("task_group"))
        task_id = unique_task_id(op_kwargs.pop("task_id", None) or self.function.__name__, dag, group)
        if "doc_md" not in op_kwargs and self.function.__doc__ and self.operator_class is not _BashDecoratedOperator:
            op_kwargs["doc_md"] = self.function.__doc__
        op = self.operator_class(
            task_id=task_id, python_callable=self.function, op_args=args, op_kwargs=kwargs,
            multiple_outputs=multiple_outputs, **op_kwargs,
        )
        if self.is_setup:
            op.as_setup()
        if self.is_teardown:
            op.as_teardown(on_failure_fail_dagrun=self.on_failure_fail_dagrun)
        return PlainXComArg(op)

    def override(self, **kwargs: Any) -> _TaskDecorator:
        clone = _TaskDecorator(self.function, self.operator_class, {**self.kwargs, **kwargs})
        clone.is_setup = self.is_setup
        clone.is_teardown = self.is_teardown
        clone.on_failure_fail_dagrun = self.on_failure_fail_dagrun
        return clone

    def expand(self, **kwargs: Any) -> Any:
        raise NotYetSupported("dynamic task mapping (.expand)")

    def expand_kwargs(self, *args: Any, **kwargs: Any) -> Any:
        raise NotYetSupported("dynamic task mapping (.expand_kwargs)")

    def partial(self, **kwargs: Any) -> Any:
        raise NotYetSupported("dynamic task mapping (.partial)")

    def __repr__(self) -> str:
        return f"<Task decorator: {self.__name__}>"


def _check_signature(inspect: Any, function: Any, args: tuple, kwargs: dict[str, Any]) -> None:
    """Refuse a call that cannot bind, as Airflow does at parse; context keys need no argument."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    params = [
        p.replace(default=None) if p.name in KNOWN_CONTEXT_KEYS and p.default is p.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) else p
        for p in signature.parameters.values()
    ]
    try:
        # A parameter without default after one with a default is fine for binding purposes.
        inspect.Signature(params, __validate_parameters__=False).bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{getattr(function, '__name__', 'task')}() {error}") from None


def _decorator_factory(operator_class: type) -> Any:
    def decorate(python_callable: Any = None, multiple_outputs: Any = None, **kwargs: Any) -> Any:
        def wrap(function: Any) -> _TaskDecorator:
            options = dict(kwargs)
            if multiple_outputs is not None:
                options["multiple_outputs"] = multiple_outputs
            return _TaskDecorator(function, operator_class, options)

        if python_callable is not None:
            return wrap(python_callable)
        return wrap

    return decorate


def _refused(feature: str) -> Any:
    def decorate(*args: Any, **kwargs: Any) -> Any:
        raise NotYetSupported(feature)

    return decorate


class TaskDecoratorCollection:
    """`task`: `@task`, `@task()`, `@task.python`, `@task.bash`, `@task.branch`, `@task.short_circuit`;
    the later-issue variants raise NotYetSupported when used."""

    python = staticmethod(_decorator_factory(_PythonDecoratedOperator))
    bash = staticmethod(_decorator_factory(_BashDecoratedOperator))
    branch = staticmethod(_decorator_factory(_BranchPythonDecoratedOperator))
    short_circuit = staticmethod(_decorator_factory(_ShortCircuitDecoratedOperator))
    virtualenv = staticmethod(_refused("@task.virtualenv (per-task virtualenvs)"))
    branch_virtualenv = staticmethod(_refused("@task.branch_virtualenv (per-task virtualenvs)"))
    external_python = staticmethod(_refused("@task.external_python (per-task Python environments)"))
    branch_external_python = staticmethod(_refused("@task.branch_external_python (per-task Python environments)"))
    sensor = staticmethod(_refused("@task.sensor (sensors)"))
    run_if = staticmethod(_refused("@task.run_if"))
    skip_if = staticmethod(_refused("@task.skip_if"))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.python(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"@task.{name} is not available in airflow-serverless (supported: @task, @task.python, "
            f"@task.bash, @task.branch, @task.short_circuit)"
        )


task = TaskDecoratorCollection()


def setup(func: Any) -> Any:
    if isinstance(func, _TaskGroupFactory):
        raise TypeError("@setup cannot be applied to a task group")
    if not isinstance(func, _TaskDecorator):
        func = task(func)
    func.is_setup = True
    return func


def teardown(_func: Any = None, *, on_failure_fail_dagrun: bool = False) -> Any:
    def wrap(func: Any) -> Any:
        if isinstance(func, _TaskGroupFactory):
            raise TypeError("@teardown cannot be applied to a task group")
        if not isinstance(func, _TaskDecorator):
            func = task(func)
        func.is_teardown = True
        func.on_failure_fail_dagrun = on_failure_fail_dagrun
        return func

    return wrap(_func) if _func is not None else wrap


class _TaskGroupFactory:
    def __init__(self, function: Any, kwargs: dict[str, Any]) -> None:
        self.function = function
        self.kwargs = kwargs
        self.__wrapped__ = function
        self.__name__ = getattr(function, "__name__", "task_group")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        options = dict(self.kwargs)
        group_id = options.pop("group_id", None) or self.function.__name__
        options.setdefault("add_suffix_on_collision", True)
        if not options.get("tooltip") and self.function.__doc__:
            options["tooltip"] = self.function.__doc__
        group = TaskGroup(group_id, **options)
        with group:
            result = self.function(*args, **kwargs)
        # As in Airflow: whatever the function returns (a task, an XComArg, a list) stands for the
        # group in `group() >> x`; only a function returning None gives the group itself.
        if result is not None:
            return result
        return group

    def override(self, **kwargs: Any) -> _TaskGroupFactory:
        return _TaskGroupFactory(self.function, {**self.kwargs, **kwargs})

    def expand(self, **kwargs: Any) -> Any:
        raise NotYetSupported("dynamic task mapping of task groups (.expand)")

    def expand_kwargs(self, *args: Any, **kwargs: Any) -> Any:
        raise NotYetSupported("dynamic task mapping of task groups (.expand_kwargs)")

    def partial(self, **kwargs: Any) -> Any:
        raise NotYetSupported("dynamic task mapping of task groups (.partial)")


def task_group(python_callable: Any = None, **tg_kwargs: Any) -> Any:
    if callable(python_callable) and not tg_kwargs:
        return _TaskGroupFactory(python_callable, {})
    if python_callable is not None and not callable(python_callable):
        tg_kwargs["group_id"] = python_callable

    def wrap(function: Any) -> _TaskGroupFactory:
        return _TaskGroupFactory(function, tg_kwargs)

    return wrap
