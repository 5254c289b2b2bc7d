"""The standard operators. Their execute bodies live in the task runner
(airflow_serverless.runtime.operators); here they only hold Airflow's arguments."""
from __future__ import annotations

from typing import Any

from airflow._core.baseoperator import BaseOperator
from airflow.exceptions import AirflowException


class EmptyOperator(BaseOperator):
    """Does nothing; the scheduler settles it without starting a process."""

    ui_color = "#e8f7e4"
    _serverless_kind = "empty"
    _serverless_operator = "empty"
    _serverless_class_path = "airflow.providers.standard.operators.empty.EmptyOperator"

    def execute(self, context: Any) -> None:
        pass


class BashOperator(BaseOperator):
    template_fields: Any = ("bash_command", "env", "cwd")
    template_fields_renderers = {"bash_command": "bash", "env": "json"}
    template_ext: Any = (".sh", ".bash")
    ui_color = "#f0ede4"
    _serverless_kind = "bash"
    _serverless_class_path = "airflow.providers.standard.operators.bash.BashOperator"

    def __init__(
        self,
        *,
        bash_command: Any,
        env: dict[str, str] | None = None,
        append_env: bool = False,
        output_encoding: str = "utf-8",
        skip_exit_code: int | None = None,
        skip_on_exit_code: Any = 99,
        cwd: str | None = None,
        output_processor: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.append_env = append_env
        self.output_encoding = output_encoding
        if skip_exit_code is not None:
            skip_on_exit_code = skip_exit_code
        if skip_on_exit_code is None:
            skip_on_exit_code = []
        elif isinstance(skip_on_exit_code, int):
            skip_on_exit_code = [skip_on_exit_code]
        self.skip_on_exit_code = list(skip_on_exit_code)
        self.cwd = cwd
        self.output_processor = output_processor if output_processor is not None else (lambda output: output)

    def execute(self, context: Any) -> Any:
        from airflow_serverless.runtime.operators import execute_bash

        return execute_bash(self, context)


class PythonOperator(BaseOperator):
    template_fields: Any = ("templates_dict", "op_args", "op_kwargs")
    template_fields_renderers = {"templates_dict": "json", "op_args": "py", "op_kwargs": "py"}
    ui_color = "#ffefeb"
    _serverless_kind = "python"
    _serverless_class_path = "airflow.providers.standard.operators.python.PythonOperator"
    _serverless_ignored_reasons = {"provide_context": "Airflow 1's flag: the context is always passed to the callable"}

    def __init__(
        self,
        *,
        python_callable: Any,
        op_args: Any = None,
        op_kwargs: Any = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Any = None,
        show_return_value_in_logs: bool = True,
        provide_context: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if provide_context:
            # Airflow 1's flag; Airflow 2 dropped it with a deprecation warning (the context is always
            # offered to the callable), so Airflow 2 tutorials that still pass it keep working.
            self._ignored_args["provide_context"] = provide_context
        if not callable(python_callable):
            raise AirflowException("`python_callable` param must be callable")
        self.python_callable = python_callable
        self.op_args = list(op_args) if op_args is not None else []
        self.op_kwargs = dict(op_kwargs) if op_kwargs is not None else {}
        self.templates_dict = templates_dict
        if templates_exts:
            self.template_ext = templates_exts
        self.show_return_value_in_logs = show_return_value_in_logs

    def execute(self, context: Any) -> Any:
        from airflow_serverless.runtime.operators import execute_python

        return execute_python(self, context)


class BranchPythonOperator(PythonOperator):
    _serverless_kind = "branch"
    _serverless_class_path = "airflow.providers.standard.operators.python.BranchPythonOperator"

    def execute(self, context: Any) -> Any:
        from airflow_serverless.runtime.operators import execute_branch

        return execute_branch(self, context)


class ShortCircuitOperator(PythonOperator):
    ui_color = "#e1ffe1"
    _serverless_kind = "short_circuit"
    _serverless_class_path = "airflow.providers.standard.operators.python.ShortCircuitOperator"

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def execute(self, context: Any) -> Any:
        from airflow_serverless.runtime.operators import execute_short_circuit

        return execute_short_circuit(self, context)


class BranchMixIn:
    """Airflow's mix-in for custom branch operators (`choose_branch`): importable; a subclass's
    execute is its own code (kind custom)."""

    def do_branch(self, context: Any, branches_to_execute: Any) -> Any:
        from airflow_serverless.runtime.operators import do_branch

        return do_branch(self, context, branches_to_execute)


class BaseBranchOperator(BaseOperator, BranchMixIn):
    # A custom branch operator runs its own execute (kind "custom"); do_branch reports the branches.
    _serverless_class_path = "airflow.providers.standard.operators.branch.BaseBranchOperator"

    def choose_branch(self, context: Any) -> Any:
        raise NotImplementedError

    def execute(self, context: Any) -> Any:
        return self.do_branch(context, self.choose_branch(context))

