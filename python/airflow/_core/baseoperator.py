"""BaseOperator: the task model every operator and @task builds on.

Airflow's attribute names are kept (`task_id`, `dag`, `retries`, `template_fields`, ...) because the
task runner reads them. Which arguments the user actually set (directly or through `default_args`) is
remembered in `_explicit`, so the serialiser can leave the rest `null` for TypeScript's defaults.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from airflow._core import state
from airflow._core.dependencies import DependencyMixin
from airflow._core.logging_mixin import LoggingMixin
from airflow.exceptions import AirflowException, DuplicateTaskIdFound


class _NotSet:
    def __repr__(self) -> str:
        return "NOTSET"

    def __bool__(self) -> bool:
        return False


NOTSET: Any = _NotSet()

# Airflow's own defaults, used for the attribute values the task runner reads. The serialiser emits
# null for an argument the user did not set, so the environment's config can still decide.
DEFAULT_OWNER = "airflow"
DEFAULT_RETRIES = 0
DEFAULT_RETRY_DELAY = _dt.timedelta(seconds=300)


def _named_params(func: Any) -> tuple[str, ...]:
    code = func.__code__
    count = code.co_argcount + code.co_kwonlyargcount
    return code.co_varnames[1:count]  # without self


def _merged_default_args(kwargs: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    dag, group = state.placement(kwargs.get("dag"), kwargs.get("task_group"))
    if dag is not None:
        # Which default_args some task could take: the rest are reported as ignored.
        dag._accepted_arg_names.update(names)
    merged: dict[str, Any] = {}
    if dag is not None and dag.default_args:
        merged.update(dag.default_args)
    if group is not None and getattr(group, "default_args", None):
        merged.update(group.default_args)
    own = kwargs.get("default_args")
    if own:
        merged.update(own)
    return merged


def apply_defaults(init: Any) -> Any:
    """Wrap an operator's __init__ so `default_args` fill the keyword parameters it declares, as
    Airflow's BaseOperatorMeta does, and run the post-init step once the outermost __init__ ends."""
    names = _named_params(init)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        defaults = _merged_default_args(kwargs, names)
        if defaults:
            for name in names[len(args):]:
                if name == "params":
                    # default_args params sit under the task's own, as in Airflow (and YAML manifests).
                    if defaults.get("params"):
                        own = kwargs.get("params")
                        kwargs["params"] = {**_params_dict(defaults["params"]), **_params_dict(own)}
                elif name not in kwargs and name in defaults:
                    kwargs[name] = defaults[name]
                    self.__dict__.setdefault("_from_default_args", set()).add(name)
        depth = self.__dict__.get("_init_depth", 0)
        self.__dict__["_init_depth"] = depth + 1
        try:
            init(self, *args, **kwargs)
        finally:
            self.__dict__["_init_depth"] = depth
        if depth == 0:
            self._post_init()

    wrapper.__wrapped__ = init  # type: ignore[attr-defined]
    wrapper.__name__ = init.__name__
    wrapper.__qualname__ = init.__qualname__
    wrapper.__doc__ = init.__doc__
    wrapper._apply_defaults = True  # type: ignore[attr-defined]
    return wrapper


# Arguments accepted but not acted on; the serialiser turns each one set into a warning line.
IGNORED_TASK_ARGS: dict[str, str] = {
    "email": "no email is sent",
    "email_on_failure": "no email is sent",
    "email_on_retry": "no email is sent",
    "pool": "no pools in airflow-serverless",
    "pool_slots": "no pools in airflow-serverless",
    "priority_weight": "tasks are not ordered by priority",
    "weight_rule": "tasks are not ordered by priority",
    "queue": "no queues in airflow-serverless",
    "sla": "SLAs are not checked",
    "max_active_tis_per_dag": "per-task concurrency limits are not enforced yet",
    "max_active_tis_per_dagrun": "per-task concurrency limits are not enforced yet",
    "task_concurrency": "per-task concurrency limits are not enforced yet",
    "wait_for_downstream": "not enforced yet",
    "ignore_first_depends_on_past": "not enforced yet",
    "wait_for_past_depends_before_skipping": "not enforced yet",
    "executor": "tasks run on the environment's provider",
    "executor_config": "tasks run on the environment's provider",
    "resources": "tasks run on the environment's provider",
    "run_as_user": "tasks run as the worker's user",
    "on_execute_callback": "callbacks are not run yet",
    "on_failure_callback": "callbacks are not run yet",
    "on_success_callback": "callbacks are not run yet",
    "on_retry_callback": "callbacks are not run yet",
    "on_skipped_callback": "callbacks are not run yet",
    "pre_execute": "pre_execute/post_execute hooks are not run yet",
    "post_execute": "pre_execute/post_execute hooks are not run yet",
    "inlets": "lineage is not recorded",
    "task_display_name": "the UI shows task ids",
    "logger_name": "task logs are the process's stdout/stderr",
}


class BaseOperator(LoggingMixin, DependencyMixin):
    _log_config_logger_name = "airflow.task.operators"
    template_fields: Any = ()
    template_ext: Any = ()
    template_fields_renderers: dict[str, str] = {}
    ui_color = "#fff"
    ui_fgcolor = "#000"
    # `kind` in the serialised task (`args.kind`); subclasses with their own execute are "custom".
    _serverless_kind = "custom"
    # Operator-specific arguments accepted and ignored (name -> why), beside IGNORED_TASK_ARGS.
    _serverless_ignored_reasons: dict[str, str] = {}
    _serverless_operator = "python_file"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_apply_defaults", False):
            cls.__init__ = apply_defaults(init)  # type: ignore[method-assign]
        if "execute" in cls.__dict__ and "_serverless_kind" not in cls.__dict__:
            cls._serverless_kind = "custom"
            cls._serverless_operator = "python_file"

    def __init__(
        self,
        task_id: str,
        owner: Any = NOTSET,
        email: Any = None,
        email_on_retry: Any = NOTSET,
        email_on_failure: Any = NOTSET,
        retries: Any = NOTSET,
        retry_delay: Any = NOTSET,
        retry_exponential_backoff: Any = NOTSET,
        max_retry_delay: Any = None,
        start_date: Any = None,
        end_date: Any = None,
        depends_on_past: Any = NOTSET,
        ignore_first_depends_on_past: Any = NOTSET,
        wait_for_past_depends_before_skipping: Any = NOTSET,
        wait_for_downstream: Any = NOTSET,
        dag: Any = None,
        params: Any = None,
        default_args: Any = None,
        priority_weight: Any = NOTSET,
        weight_rule: Any = NOTSET,
        queue: Any = NOTSET,
        pool: Any = None,
        pool_slots: Any = NOTSET,
        sla: Any = None,
        execution_timeout: Any = None,
        on_execute_callback: Any = None,
        on_failure_callback: Any = None,
        on_success_callback: Any = None,
        on_retry_callback: Any = None,
        on_skipped_callback: Any = None,
        pre_execute: Any = None,
        post_execute: Any = None,
        trigger_rule: Any = NOTSET,
        resources: Any = None,
        run_as_user: Any = None,
        task_concurrency: Any = None,
        map_index_template: Any = None,
        max_active_tis_per_dag: Any = None,
        max_active_tis_per_dagrun: Any = None,
        executor: Any = None,
        executor_config: Any = None,
        do_xcom_push: bool = True,
        multiple_outputs: bool = False,
        inlets: Any = None,
        outlets: Any = None,
        task_group: Any = None,
        doc: Any = None,
        doc_md: Any = None,
        doc_json: Any = None,
        doc_yaml: Any = None,
        doc_rst: Any = None,
        task_display_name: Any = None,
        logger_name: Any = None,
        allow_nested_operators: bool = True,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise AirflowException(
                f"Invalid arguments were passed to {type(self).__name__} (task_id: {task_id}). "
                f"Invalid arguments were: **kwargs: {kwargs}"
            )
        if isinstance(task_id, str):
            task_id = str(getattr(task_id, "value", task_id))  # a str enum (TriggerRule.ALL_DONE) as its text
        from airflow._core.keys import validate_key

        validate_key("task_id", task_id)
        explicit = {
            name
            for name, value in (
                ("owner", owner), ("retries", retries), ("retry_delay", retry_delay),
                ("retry_exponential_backoff", retry_exponential_backoff),
                ("max_retry_delay", max_retry_delay), ("execution_timeout", execution_timeout),
                ("depends_on_past", depends_on_past), ("trigger_rule", trigger_rule),
            )
            if value is not NOTSET and value is not None
        }
        self._explicit = explicit
        given = locals()
        # An argument left at its default, or set to its "off" value (False, None, empty), is not
        # worth a warning; anything else in IGNORED_TASK_ARGS is accepted and not acted on.
        ignored = {name: given[name] for name in IGNORED_TASK_ARGS if _is_set(given[name])}
        self._ignored_args = ignored

        if outlets:
            from airflow._core.unsupported import check_outlets

            check_outlets(outlets)
        if map_index_template is not None:
            from airflow_serverless.errors import NotYetSupported

            raise NotYetSupported("map_index_template (dynamic task mapping)")

        self.owner = owner if owner is not NOTSET else DEFAULT_OWNER
        self.email = email
        self.email_on_retry = True if email_on_retry is NOTSET else email_on_retry
        self.email_on_failure = True if email_on_failure is NOTSET else email_on_failure
        self.retries = DEFAULT_RETRIES if retries is NOTSET or retries is None else retries
        if retry_delay is NOTSET:
            retry_delay = DEFAULT_RETRY_DELAY
        elif not isinstance(retry_delay, _dt.timedelta):
            retry_delay = _dt.timedelta(seconds=retry_delay)
        self.retry_delay = retry_delay
        self.retry_exponential_backoff = (
            False if retry_exponential_backoff is NOTSET else retry_exponential_backoff
        )
        if max_retry_delay is not None and not isinstance(max_retry_delay, _dt.timedelta):
            max_retry_delay = _dt.timedelta(seconds=max_retry_delay)
        self.max_retry_delay = max_retry_delay
        if execution_timeout is not None and not isinstance(execution_timeout, _dt.timedelta):
            raise ValueError(
                f"execution_timeout must be a datetime.timedelta, got {type(execution_timeout).__name__}"
            )
        self.execution_timeout = execution_timeout
        self.start_date = start_date
        self.end_date = end_date
        self.depends_on_past = False if depends_on_past is NOTSET else bool(depends_on_past)
        self.ignore_first_depends_on_past = (
            True if ignore_first_depends_on_past is NOTSET else ignore_first_depends_on_past
        )
        self.wait_for_past_depends_before_skipping = (
            False if wait_for_past_depends_before_skipping is NOTSET else wait_for_past_depends_before_skipping
        )
        self.wait_for_downstream = False if wait_for_downstream is NOTSET else wait_for_downstream
        if self.wait_for_downstream:
            self.depends_on_past = True
        self.priority_weight = 1 if priority_weight is NOTSET else priority_weight
        self.weight_rule = "downstream" if weight_rule is NOTSET else weight_rule
        self.queue = "default" if queue is NOTSET else queue
        self.pool = pool or "default_pool"
        self.pool_slots = 1 if pool_slots is NOTSET else pool_slots
        self.sla = sla
        self.on_execute_callback = on_execute_callback
        self.on_failure_callback = on_failure_callback
        self.on_success_callback = on_success_callback
        self.on_retry_callback = on_retry_callback
        self.on_skipped_callback = on_skipped_callback
        self._pre_execute_hook = pre_execute
        self._post_execute_hook = post_execute
        if trigger_rule is NOTSET or trigger_rule is None:
            trigger_rule = "all_success"
        trigger_rule = getattr(trigger_rule, "value", trigger_rule)
        from airflow._core.trigger_rule import TriggerRule

        if not isinstance(trigger_rule, str) or not TriggerRule.is_valid(trigger_rule):
            raise AirflowException(
                f"The trigger_rule must be one of {sorted(TriggerRule.all_triggers())},"
                f"'{task_id}'; received '{trigger_rule}'."
            )
        self.trigger_rule = trigger_rule
        self.resources = resources
        self.run_as_user = run_as_user
        self.max_active_tis_per_dag = max_active_tis_per_dag or task_concurrency
        self.max_active_tis_per_dagrun = max_active_tis_per_dagrun
        self.executor = executor
        self.executor_config = executor_config or {}
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.inlets = list(inlets) if isinstance(inlets, (list, tuple)) else ([inlets] if inlets else [])
        self.outlets = list(outlets) if isinstance(outlets, (list, tuple)) else ([outlets] if outlets else [])
        self.doc = doc
        self.doc_md = doc_md
        self.doc_json = doc_json
        self.doc_yaml = doc_yaml
        self.doc_rst = doc_rst
        self.task_display_name = task_display_name
        self.allow_nested_operators = allow_nested_operators
        self.default_args = default_args or {}
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.is_setup = False
        self.is_teardown = False
        self.on_failure_fail_dagrun = False
        self.params = _task_params(params)

        dag, task_group = state.placement(dag, task_group)
        self.task_group = task_group
        self._task_label = task_id
        self.task_id = task_group.child_id(task_id) if task_group is not None else task_id
        self.dag = None
        if dag is not None:
            self._attach(dag)

    # --- graph -------------------------------------------------------------------------------
    def _attach(self, dag: Any) -> None:
        if self.dag is dag:
            return
        if self.dag is not None:
            raise AirflowException(
                f"Tried to set relationships between tasks in more than one DAG: "
                f"{self.dag.dag_id!r} and {dag.dag_id!r}"
            )
        if self.task_group is None:
            self.task_group = dag.task_group
        dag._register_task(self)
        self.__dict__["_dag"] = dag
        if self.task_group is not None:
            self.task_group._add_child(self)

    def _post_init(self) -> None:
        self.__dict__["_initialized"] = True
        self._link_template_xcomargs()

    def _link_template_xcomargs(self) -> None:
        """XComArgs inside template fields make their producers upstream (Airflow does this on
        assignment too; the serialiser calls this again, so a field set after __init__ counts)."""
        from airflow._core.xcom_arg import upstream_operators

        for field in self.template_fields:
            for op in upstream_operators(getattr(self, field, None)):
                self.set_upstream(op)

    @property
    def dag(self) -> Any:
        return self.__dict__.get("_dag")

    @dag.setter
    def dag(self, value: Any) -> None:
        if value is not None and self.__dict__.get("_initialized"):
            self._attach(value)  # `task.dag = dag` adds the task to the DAG, as in Airflow
        else:
            self.__dict__["_dag"] = value

    def _dep_roots(self) -> list[Any]:
        return [self]

    def _dep_leaves(self) -> list[Any]:
        return [self]

    def _add_edge_to(self, downstream: Any) -> None:
        if downstream is self:
            from airflow.exceptions import AirflowDagCycleException

            raise AirflowDagCycleException(f"Cycle detected: task {self.task_id!r} depends on itself")
        if self.dag is None and downstream.dag is not None:
            self._attach(downstream.dag)
        elif downstream.dag is None and self.dag is not None:
            downstream._attach(self.dag)
        elif self.dag is not downstream.dag:
            raise AirflowException(
                f"Tried to set relationships between tasks in more than one DAG: "
                f"{self.dag!r} and {downstream.dag!r}"
            )
        self.downstream_task_ids.add(downstream.task_id)
        downstream.upstream_task_ids.add(self.task_id)

    @property
    def upstream_list(self) -> list[Any]:
        return [self.dag.task_dict[t] for t in sorted(self.upstream_task_ids)] if self.dag else []

    @property
    def downstream_list(self) -> list[Any]:
        return [self.dag.task_dict[t] for t in sorted(self.downstream_task_ids)] if self.dag else []

    def get_direct_relative_ids(self, upstream: bool = False) -> set[str]:
        return set(self.upstream_task_ids if upstream else self.downstream_task_ids)

    def get_direct_relatives(self, upstream: bool = False) -> list[Any]:
        return self.upstream_list if upstream else self.downstream_list

    def get_flat_relative_ids(self, upstream: bool = False) -> set[str]:
        """Every task reachable upstream (or downstream), not only the direct ones."""
        found: set[str] = set()
        todo = list(self.get_direct_relative_ids(upstream))
        while todo:
            tid = todo.pop()
            if tid not in found and self.dag is not None:
                found.add(tid)
                todo.extend(self.dag.task_dict[tid].get_direct_relative_ids(upstream))
        return found

    def get_flat_relatives(self, upstream: bool = False) -> list[Any]:
        return [self.dag.task_dict[t] for t in sorted(self.get_flat_relative_ids(upstream))] if self.dag else []

    def has_dag(self) -> bool:
        return self.dag is not None

    @property
    def dag_id(self) -> str:
        return self.dag.dag_id if self.dag is not None else f"adhoc_{self.owner}"

    @property
    def label(self) -> str:
        return self._task_label

    @property
    def node_id(self) -> str:
        return self.task_id

    @property
    def output(self) -> Any:
        from airflow._core.xcom_arg import XComArg

        return XComArg(self)

    @property
    def task_type(self) -> str:
        return type(self).__name__

    @property
    def operator_name(self) -> str:
        return type(self).__name__

    # --- setup / teardown --------------------------------------------------------------------
    def as_setup(self) -> Any:
        self.is_setup = True
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: Any = NOTSET) -> Any:
        self.is_teardown = True
        self.trigger_rule = "all_done_setup_success"
        if on_failure_fail_dagrun is not NOTSET:
            self.on_failure_fail_dagrun = bool(on_failure_fail_dagrun)
        if setups is not None:
            from airflow._core.dependencies import _flatten

            for setup in _flatten(setups):
                for op in setup._dep_leaves():
                    op.is_setup = True
                    op._add_edge_to(self)
        return self

    def __enter__(self) -> Any:
        """`with teardown.as_teardown(setups=setup):` (or `with setup >> teardown:`): tasks created in
        the block run after the setups and before the teardowns, as in Airflow."""
        if not (self.is_setup or self.is_teardown):
            raise AirflowException("Only setup/teardown tasks can be used as context managers.")
        if self.dag is None:
            raise AirflowException(f"{self!r} must belong to a DAG to be used as a context manager")
        self.__dict__.setdefault("_context_marks", []).append(set(self.dag.task_dict))
        return self

    def __exit__(self, *exc: Any) -> None:
        before = self.__dict__["_context_marks"].pop()
        if exc and exc[0] is not None:
            return
        dag = self.dag
        new = [t for tid, t in dag.task_dict.items() if tid not in before]
        if self.is_teardown:
            teardowns = [self]
            setups = [dag.task_dict[t] for t in sorted(self.upstream_task_ids) if dag.task_dict[t].is_setup]
        else:
            setups = [self]
            teardowns = [dag.task_dict[t] for t in sorted(self.downstream_task_ids) if dag.task_dict[t].is_teardown]
        ids = {t.task_id for t in new}
        roots = [t for t in new if not (t.upstream_task_ids & ids)]
        leaves = [t for t in new if not (t.downstream_task_ids & ids)]
        for setup in setups:
            for root in roots:
                setup._add_edge_to(root)
        for teardown in teardowns:
            for leaf in leaves:
                leaf._add_edge_to(teardown)

    # --- running (the task runner calls these) -------------------------------------------------
    def execute(self, context: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement execute(context)")

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        from airflow_serverless.runtime.templating import render_template_fields

        render_template_fields(self, context, jinja_env)

    def render_template(self, content: Any, context: Any, jinja_env: Any = None, seen_oids: Any = None) -> Any:
        from airflow_serverless.runtime.templating import render_template

        return render_template(self, content, context, jinja_env)

    def prepare_template(self) -> None:
        """Airflow's hook to adjust template fields before rendering; operators may override it."""

    def xcom_push(self, context: Any, key: str, value: Any) -> None:
        context["ti"].xcom_push(key=key, value=value)

    def xcom_pull(self, context: Any, task_ids: Any = None, key: str = "return_value", **kwargs: Any) -> Any:
        return context["ti"].xcom_pull(task_ids=task_ids, key=key, **kwargs)

    def on_kill(self) -> None:
        """Called when the task is killed; operators may override it."""

    def expand(self, **kwargs: Any) -> Any:
        from airflow_serverless.errors import NotYetSupported

        raise NotYetSupported("dynamic task mapping (.expand)")

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        from airflow_serverless.errors import NotYetSupported

        raise NotYetSupported("dynamic task mapping (.partial)")

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"

    def __deepcopy__(self, memo: Any) -> Any:
        # Airflow deep-copies operators before running them; our runner does not, and user code that
        # does gets the same object (tasks are never mutated across runs in one process).
        return self


BaseOperator.__init__ = apply_defaults(BaseOperator.__init__)  # type: ignore[method-assign]


def _params_dict(params: Any) -> dict[str, Any]:
    """Name -> value or Param, from a dict or a ParamsDict (whose Params keep their schemas)."""
    if not params:
        return {}
    inner = getattr(params, "_dict", None)
    return dict(inner) if isinstance(inner, dict) else dict(params)


def _is_set(value: Any) -> bool:
    if value is None or value is NOTSET or value is False:
        return False
    return not (isinstance(value, (list, tuple, dict, set)) and not value)


def _task_params(params: Any) -> Any:
    from airflow._core.param import ParamsDict

    return ParamsDict(params) if params else ParamsDict()


def check_task_id_free(dag: Any, task_id: str) -> None:
    # Task ids and group ids share one namespace in Airflow (the UI and `group.task` ids need it).
    if task_id in dag.task_dict or task_id in dag._group_ids:
        raise DuplicateTaskIdFound(f"Task id '{task_id}' has already been added to the DAG")
