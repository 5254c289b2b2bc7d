"""DAG and the @dag decorator."""
from __future__ import annotations

import datetime as _dt
import functools
import sys
from typing import Any

from airflow._core import state
from airflow._core.baseoperator import NOTSET, check_task_id_free
from airflow._core.param import ParamsDict
from airflow._core.taskgroup import TaskGroup
from airflow._core.timetables import schedule_spec
from airflow._core.timezones import datetime_zone
from airflow._core.xcom_arg import ResolveMixin
from airflow.exceptions import AirflowException, TaskNotFound

# DAG arguments accepted but not acted on: warning text per argument.
IGNORED_DAG_ARGS: dict[str, str] = {
    "on_success_callback": "callbacks are not run yet",
    "on_failure_callback": "callbacks are not run yet",
    "sla_miss_callback": "SLAs are not checked",
    "access_control": "no per-DAG access control in airflow-serverless",
    "owner_links": "the UI does not show owner links",
    "default_view": "the UI has one DAG view",
    "orientation": "the UI has one graph orientation",
    "fail_stop": "not enforced yet: other tasks keep running after a failure",
    "fail_fast": "not enforced yet: other tasks keep running after a failure",
    "max_consecutive_failed_dag_runs": "DAGs are not paused automatically",
    "jinja_environment_kwargs": "templates use the runner's Jinja environment",
    "dag_display_name": "the UI shows DAG ids",
    "template_undefined": "templates always use StrictUndefined",
    "deadline": "deadline alerts are not checked",
    "disable_bundle_versioning": "DAG files are versioned by content",
}


class DAG:
    def __init__(
        self,
        dag_id: str,
        description: str | None = None,
        schedule: Any = NOTSET,
        schedule_interval: Any = NOTSET,
        timetable: Any = None,
        start_date: Any = None,
        end_date: Any = None,
        full_filepath: Any = None,
        template_searchpath: Any = None,
        template_undefined: Any = None,
        user_defined_macros: dict[str, Any] | None = None,
        user_defined_filters: dict[str, Any] | None = None,
        default_args: dict[str, Any] | None = None,
        concurrency: int | None = None,
        max_active_tasks: Any = NOTSET,
        max_active_runs: Any = NOTSET,
        max_consecutive_failed_dag_runs: Any = NOTSET,
        dagrun_timeout: Any = None,
        sla_miss_callback: Any = None,
        default_view: Any = None,
        orientation: Any = None,
        catchup: Any = NOTSET,
        on_success_callback: Any = None,
        on_failure_callback: Any = None,
        doc_md: str | None = None,
        params: Any = None,
        access_control: Any = None,
        is_paused_upon_creation: bool | None = None,
        jinja_environment_kwargs: dict[str, Any] | None = None,
        render_template_as_native_obj: bool = False,
        tags: Any = None,
        owner_links: dict[str, str] | None = None,
        auto_register: bool = True,
        fail_stop: bool = False,
        fail_fast: bool = False,
        dag_display_name: str | None = None,
        deadline: Any = None,
        disable_bundle_versioning: bool = False,
        _fileloc: str | None = None,
    ) -> None:
        from airflow._core.keys import validate_key

        validate_key("dag_id", dag_id)
        self.dag_id = dag_id
        self.fileloc = _fileloc or sys._getframe(1).f_code.co_filename
        self.description = description
        self.default_args = dict(default_args or {})
        self.warnings: list[str] = []

        # Airflow 2 spellings, still read.
        if schedule_interval is not NOTSET:
            if schedule is not NOTSET:
                raise AirflowException(
                    "You must either provide `schedule` or `schedule_interval` (Airflow 2), not both"
                )
            schedule = schedule_interval
            self.warnings.append(
                f"DAG '{dag_id}': schedule_interval is Airflow 2's name (removed in Airflow 3); read as schedule"
            )
        if timetable is not None:
            if schedule is not NOTSET:
                raise AirflowException("You must either provide `schedule` or `timetable` (Airflow 2), not both")
            schedule = timetable
        if schedule is NOTSET:
            schedule = None  # Airflow 3: a DAG without a schedule is only triggered by hand
        self.schedule = schedule
        self.schedule_interval = schedule
        # Normalised now, so a bad schedule fails at the DAG(...) line of the user's file.
        self._schedule_spec = schedule_spec(schedule)

        if start_date is None:
            start_date = self.default_args.get("start_date")
        if end_date is None:
            end_date = self.default_args.get("end_date")
        self.start_date = _coerce_date(start_date, "start_date")
        self.end_date = _coerce_date(end_date, "end_date")
        self.timezone = datetime_zone(self.start_date) or "UTC"

        if concurrency is not None:
            if max_active_tasks is not NOTSET:
                raise AirflowException("Pass max_active_tasks or concurrency (Airflow 2), not both")
            max_active_tasks = concurrency
            self.warnings.append(
                f"DAG '{dag_id}': concurrency is Airflow 2's name (removed in Airflow 3); read as max_active_tasks"
            )
        self._explicit: dict[str, Any] = {}
        for name, value in (("max_active_tasks", max_active_tasks), ("max_active_runs", max_active_runs),
                            ("catchup", catchup)):
            if value is not NOTSET and value is not None:
                self._explicit[name] = value
        self.max_active_tasks = max_active_tasks if max_active_tasks is not NOTSET else 16
        self.max_active_runs = max_active_runs if max_active_runs is not NOTSET else 16
        self.catchup = bool(catchup) if catchup is not NOTSET else False
        if dagrun_timeout is not None and not isinstance(dagrun_timeout, _dt.timedelta):
            raise TypeError(f"dagrun_timeout must be a datetime.timedelta, got {type(dagrun_timeout).__name__}")
        self.dagrun_timeout = dagrun_timeout
        self.doc_md = doc_md
        self.params = ParamsDict(params)
        # As Airflow does: default_args["params"] are merged OVER the DAG's params and leave
        # default_args (so tasks see them through the DAG, not each on its own).
        if "params" in self.default_args:
            self.params.update(self.default_args.pop("params") or {})
        self.is_paused_upon_creation = is_paused_upon_creation
        self.render_template_as_native_obj = bool(render_template_as_native_obj)
        if isinstance(template_searchpath, str):
            template_searchpath = [template_searchpath]
        self.template_searchpath = template_searchpath
        self.template_undefined = template_undefined
        self.user_defined_macros = user_defined_macros
        self.user_defined_filters = user_defined_filters
        self.jinja_environment_kwargs = jinja_environment_kwargs
        if tags is None:
            tags = []
        elif isinstance(tags, str):
            raise TypeError("tags must be a list of strings, not a string")
        self.tags = sorted(tags) if isinstance(tags, (set, frozenset)) else list(tags)
        self.owner_links = owner_links or {}
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.sla_miss_callback = sla_miss_callback
        self.access_control = access_control
        self.fail_stop = fail_stop or fail_fast
        self.auto_register = auto_register
        self.dag_display_name = dag_display_name or dag_id
        self._ignored = {
            name: value
            for name, value in (
                ("on_success_callback", on_success_callback), ("on_failure_callback", on_failure_callback),
                ("sla_miss_callback", sla_miss_callback), ("access_control", access_control),
                ("owner_links", owner_links), ("default_view", default_view), ("orientation", orientation),
                ("fail_stop", fail_stop), ("fail_fast", fail_fast),
                ("max_consecutive_failed_dag_runs",
                 None if max_consecutive_failed_dag_runs is NOTSET else max_consecutive_failed_dag_runs),
                ("jinja_environment_kwargs", jinja_environment_kwargs), ("dag_display_name", dag_display_name),
                ("template_undefined", template_undefined), ("deadline", deadline),
                ("disable_bundle_versioning", disable_bundle_versioning),
            )
            if value not in (None, False, {}, [], 0)
        }
        self._check_schedulable()
        self.task_dict: dict[str, Any] = {}
        self._accepted_arg_names: set[str] = {"start_date", "end_date"}
        self._groups: list[TaskGroup] = []
        self._group_ids: set[str] = set()
        self.task_group = TaskGroup(None, dag=self)

    def _check_schedulable(self) -> None:
        """Airflow 3's construction checks for a DAG that runs on a schedule."""
        if any(len(tag) > 100 for tag in self.tags if isinstance(tag, str)):
            raise ValueError("tag cannot be longer than 100 characters")
        if self._schedule_spec["kind"] == "none":
            return
        if self.catchup and self.start_date is None:
            raise ValueError("start_date is required when catchup=True")
        if len(self.params):
            from airflow.exceptions import ParamValidationError

            try:
                self.params.validate()
            except ParamValidationError as error:
                raise ValueError(
                    f"Dag {self.dag_id!r} is not allowed to define a Schedule, as there are required params "
                    f"without default values, or the default values are not valid ({error})"
                ) from None

    # --- context manager ---------------------------------------------------------------------
    def __enter__(self) -> DAG:
        state.dag_stack.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if state.dag_stack and state.dag_stack[-1] is self:
            state.dag_stack.pop()
        if self.auto_register:
            state.register(self)

    # --- tasks -------------------------------------------------------------------------------
    def add_task(self, task: Any) -> None:
        task._attach(self)

    def _register_task(self, task: Any) -> None:
        check_task_id_free(self, task.task_id)
        self.task_dict[task.task_id] = task

    def add_tasks(self, tasks: Any) -> None:
        for task in tasks:
            task._attach(self)

    @property
    def tasks(self) -> list[Any]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    @property
    def task_count(self) -> int:
        return len(self.task_dict)

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    def get_task(self, task_id: str) -> Any:
        try:
            return self.task_dict[task_id]
        except KeyError:
            raise TaskNotFound(f"Task {task_id} not found") from None

    def task_group_ids(self) -> set[str]:
        return set(self._group_ids)

    @property
    def task_group_dict(self) -> dict[str, TaskGroup]:
        return {g.group_id: g for g in self._groups}  # type: ignore[misc]

    @property
    def roots(self) -> list[Any]:
        return [t for t in self.task_dict.values() if not t.upstream_task_ids]

    @property
    def leaves(self) -> list[Any]:
        return [t for t in self.task_dict.values() if not t.downstream_task_ids]

    @property
    def owner(self) -> str:
        return ", ".join(sorted({t.owner for t in self.task_dict.values()}))

    @property
    def timetable(self) -> Any:
        return self.schedule

    @property
    def folder(self) -> str:
        import os

        return os.path.dirname(self.fileloc)

    @property
    def filepath(self) -> str:
        return self.fileloc

    @property
    def task(self) -> Any:
        """`@dag.task`: the task decorator bound to this DAG."""
        import functools as _functools

        from airflow._core.decorators import task

        return _functools.partial(task, dag=self)

    def get_template_env(self, *, force_sandboxed: bool = False) -> Any:
        """The Jinja environment tasks of this DAG render with (the task runner builds it)."""
        from airflow_serverless.runtime.templating import make_environment

        return make_environment(self, native=False if force_sandboxed else None)

    def validate(self) -> None:
        """What Airflow checks before accepting a parsed DAG (TypeScript checks ids, cycles, schedules)."""
        for task in self.task_dict.values():
            if task.is_setup:
                for down_id in task.downstream_task_ids:
                    down = self.task_dict[down_id]
                    if not down.is_teardown and down.trigger_rule != "all_success":
                        raise ValueError("Setup tasks must be followed with trigger rule ALL_SUCCESS.")

    def param(self, name: str, default: Any = NOTSET) -> DagParam:
        if default is NOTSET and name not in self.params:
            raise KeyError(f"Dag {self.dag_id!r} has no param {name!r}")
        return DagParam(self, name, default)

    def test(self, *args: Any, **kwargs: Any) -> Any:
        from airflow_serverless.errors import NotYetSupported

        raise NotYetSupported("dag.test() (use `airflow-serverless dags test`)")

    def cli(self) -> None:
        from airflow_serverless.errors import NotYetSupported

        raise NotYetSupported("dag.cli()")

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"

    def __deepcopy__(self, memo: Any) -> DAG:
        return self


def _coerce_date(value: Any, field: str) -> Any:
    if value is None or isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        from airflow._core.dates import parse_datetime

        return parse_datetime(value)
    raise TypeError(f"{field} must be a datetime, got {type(value).__name__}")


class DagParam(ResolveMixin):
    """A @dag function's parameter inside its body: resolved at run time from the run's conf, then
    the DAG's params, as Airflow does."""

    def __init__(self, current_dag: DAG, name: str, default: Any = NOTSET) -> None:
        self._dag = current_dag
        self._name = name
        self._default = default
        if default is not NOTSET:
            current_dag.params[name] = default

    def resolve(self, context: Any) -> Any:
        dag_run = context.get("dag_run")
        conf = getattr(dag_run, "conf", None) if dag_run is not None else None
        if isinstance(conf, dict) and self._name in conf:
            return conf[self._name]
        params = context.get("params") or {}
        if self._name in params:
            return params[self._name]
        if self._default is not NOTSET:
            return self._default
        raise AirflowException(f"No value could be resolved for parameter {self._name}")

    def __repr__(self) -> str:
        return f"DagParam({self._name!r})"


def dag(dag_id: Any = "", __DAG_class: type = DAG, **decorator_kwargs: Any) -> Any:
    """`@dag`, `@dag()` and `@dag(dag_id=..., schedule=...)`: calling the function builds the DAG; its
    parameters become params (their defaults as values) and reach the body as DagParam references."""
    if callable(dag_id) and not isinstance(dag_id, str):
        return dag()(dag_id)

    def wrapper(f: Any) -> Any:
        @functools.wraps(f)
        def factory(*args: Any, **kwargs: Any) -> DAG:
            import inspect

            bound = inspect.signature(f).bind(*args, **kwargs)
            bound.apply_defaults()
            dag_kwargs = dict(decorator_kwargs)
            if not dag_kwargs.get("doc_md") and f.__doc__:
                dag_kwargs["doc_md"] = f.__doc__
            caller = sys._getframe(1).f_code.co_filename
            with __DAG_class(dag_id or f.__name__, _fileloc=caller, **dag_kwargs) as dag_obj:
                # Every argument becomes a param (its value the default) and reaches the body as a
                # reference resolved at run time, so a triggered run's conf overrides it.
                f(**{name: DagParam(dag_obj, name, value) for name, value in bound.arguments.items()})
            state.register(dag_obj)
            return dag_obj

        return factory

    return wrapper
