"""The operators' execute bodies, on small fake operator objects carrying Airflow's attribute names."""
import io
import os
import shutil
import sys
import tempfile
import typing
import unittest
from unittest import mock

from airflow.exceptions import AirflowException, AirflowSkipException
from airflow_serverless.runtime import operators
from airflow_serverless.runtime.context import build_context
from tests.test_runtime_context import spec


class Op:
    template_fields = ()
    template_ext = ()

    def __init__(self, **fields):
        self.task_id = "t"
        self.dag = None
        self.__dict__.update(fields)


class FakeDag:
    def __init__(self, task_ids, group_ids=()):
        self.task_dict = {t: None for t in task_ids}
        self.task_group_dict = {g: None for g in group_ids}


class Base(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        self.context = build_context(spec(self.root))
        self.outcome = operators.reset_outcome()


class PythonCallTest(Base):
    def test_only_the_declared_context_names_are_passed(self):
        seen = {}

        def f(a, ds, ti, params):
            seen.update(a=a, ds=ds, ti=ti, params=params)
            return "ok"

        self.assertEqual(operators.execute_python(Op(python_callable=f, op_args=[1], op_kwargs={}), self.context), "ok")
        self.assertEqual((seen["a"], seen["ds"], seen["params"]["x"]), (1, "2024-01-01", 1))
        self.assertIs(seen["ti"], self.context["ti"])

    def test_kwargs_gets_everything_and_op_kwargs_win(self):
        op = Op(python_callable=lambda **kw: kw, op_args=[], op_kwargs={"ds": "mine", "extra": 2}, templates_dict={"q": 1})
        result = operators.execute_python(op, self.context)
        self.assertEqual(result["ds"], "mine")
        self.assertEqual(result["extra"], 2)
        self.assertEqual(result["templates_dict"], {"q": 1})
        self.assertIn("dag_run", result)

    def test_a_positional_argument_named_like_a_context_key_is_refused_as_in_airflow(self):
        op = Op(python_callable=lambda ds: ds, op_args=["x"], op_kwargs={})
        with self.assertRaisesRegex(ValueError, "The key 'ds' in args is a part of kwargs and therefore reserved."):
            operators.execute_python(op, self.context)

    def test_parameters_of_every_kind_of_callable(self):
        class Callable:
            def __call__(self, ds, **kw):
                return ds

        class Holder:
            def method(self, ds, ti=None):
                return (ds, ti is not None)

        import functools

        def base(a, ds):
            return (a, ds)

        self.assertEqual(operators.determine_kwargs(Holder().method, [], self.context), {"ds": "2024-01-01", "ti": self.context["ti"]})
        self.assertEqual(set(operators.determine_kwargs(Callable(), [], self.context)), set(self.context))
        self.assertEqual(operators.determine_kwargs(functools.partial(base, 1), [], self.context), {"ds": "2024-01-01"})
        self.assertEqual(operators.determine_kwargs(lambda *args, ds: ds, [1], self.context), {"ds": "2024-01-01"})
        self.assertEqual(operators.determine_kwargs(lambda x, *, ds, run_id=None: 0, [1], self.context),
                         {"ds": "2024-01-01", "run_id": "run1"})

    def test_decorated_multiple_outputs_pushes_each_key(self):
        op = Op(python_callable=lambda: {"a": 1, "b": [2]}, op_args=[], op_kwargs={}, multiple_outputs=True)
        self.assertEqual(operators.execute_decorated(op, self.context), {"a": 1, "b": [2]})
        self.assertEqual(self.context["ti"].xcom_pull(key="a"), 1)
        self.assertEqual(self.context["ti"].xcom_pull(key="b"), [2])

    def test_a_dict_return_annotation_means_multiple_outputs(self):
        def f() -> typing.Dict[str, int]:
            return {"n": 3}

        operators.execute_decorated(Op(python_callable=f, op_args=[], op_kwargs={}, multiple_outputs=None), self.context)
        self.assertEqual(self.context["ti"].xcom_pull(key="n"), 3)

    def test_multiple_outputs_needs_a_dict_with_string_keys(self):
        with self.assertRaisesRegex(AirflowException, "expected dictionary for multiple_outputs"):
            operators.execute_decorated(Op(python_callable=lambda: [1], op_args=[], op_kwargs={}, multiple_outputs=True), self.context)
        with self.assertRaisesRegex(AirflowException, "keys must be strings"):
            operators.execute_decorated(Op(python_callable=lambda: {1: 2}, op_args=[], op_kwargs={}, multiple_outputs=True), self.context)


class BranchTest(Base):
    def run_branch(self, value, dag=None):
        op = Op(python_callable=lambda: value, op_args=[], op_kwargs={}, dag=dag or FakeDag(["a", "b", "c"], ["grp"]))
        return operators.execute_branch(op, self.context)

    def test_a_task_id_a_list_a_group_or_none(self):
        self.assertEqual(self.run_branch("a"), "a")
        self.assertEqual(operators.outcome.follow_task_ids, ["a"])
        self.run_branch(["b", "grp", "b"])
        self.assertEqual(operators.outcome.follow_task_ids, ["b", "grp"])
        self.run_branch(None)
        self.assertEqual(operators.outcome.follow_task_ids, [])

    def test_ids_the_dag_lacks_or_non_strings_fail_as_in_airflow(self):
        with self.assertRaisesRegex(AirflowException, r"must contain only valid task_ids. Invalid tasks found: \['zz'\]"):
            self.run_branch(["a", "zz"])
        with self.assertRaisesRegex(AirflowException, "expected all task IDs are strings"):
            self.run_branch(["a", 3])
        with self.assertRaisesRegex(AirflowException, "but got 'int'"):
            self.run_branch(5)

    def test_short_circuit(self):
        op = Op(python_callable=lambda: 0, op_args=[], op_kwargs={}, ignore_downstream_trigger_rules=False)
        self.assertIsNone(operators.execute_short_circuit(op, self.context))
        self.assertEqual(operators.outcome.short_circuit, "direct_downstream")
        operators.reset_outcome()
        op = Op(python_callable=lambda: "yes", op_args=[], op_kwargs={}, ignore_downstream_trigger_rules=True)
        self.assertEqual(operators.execute_short_circuit(op, self.context), "yes")
        self.assertIsNone(operators.outcome.short_circuit)
        op.python_callable = lambda: []
        operators.execute_short_circuit(op, self.context)
        self.assertEqual(operators.outcome.short_circuit, "all_downstream")


class BashTest(Base):
    def bash(self, command, **fields):
        fields.setdefault("env", None)
        out = io.StringIO()
        with mock.patch.object(sys, "stdout", out):
            value = operators.execute_bash(Op(bash_command=command, **fields), self.context)
        return value, out.getvalue()

    def test_last_line_of_merged_output_is_returned(self):
        value, output = self.bash("echo one; echo two >&2; echo 'last   '")
        self.assertEqual(value, "last")
        self.assertEqual(output.splitlines(), ["one", "two", "last"])

    def test_exit_codes(self):
        with self.assertRaisesRegex(AirflowSkipException, "returned exit code 99. Skipping."):
            self.bash("exit 99")
        with self.assertRaisesRegex(AirflowSkipException, "exit code 3"):
            self.bash("exit 3", skip_on_exit_code=[3, 4])
        with self.assertRaisesRegex(AirflowException, "non-zero exit code 99"):
            self.bash("exit 99", skip_on_exit_code=None)
        with self.assertRaisesRegex(AirflowException, "Bash command failed. The command returned a non-zero exit code 2."):
            self.bash("exit 2")

    def test_env_replaces_or_appends_and_airflow_ctx_is_always_there(self):
        with mock.patch.dict(os.environ, {"AIRFLOW_CTX_DAG_ID": "d", "OUTER": "o"}):
            value, _ = self.bash('echo "$FOO-$OUTER-$AIRFLOW_CTX_DAG_ID"', env={"FOO": "f"})
            self.assertEqual(value, "f--d")
            value, _ = self.bash('echo "$FOO-$OUTER-$AIRFLOW_CTX_DAG_ID"', env={"FOO": "f"}, append_env=True)
            self.assertEqual(value, "f-o-d")

    def test_cwd(self):
        value, _ = self.bash("pwd", cwd=self.root)
        self.assertEqual(value, self.root)
        value, _ = self.bash("basename $(pwd)")
        self.assertTrue(value.startswith("airflowtmp"))
        with self.assertRaisesRegex(AirflowException, "Can not find the cwd: /no/such"):
            self.bash("pwd", cwd="/no/such")

    def test_output_processor(self):
        value, _ = self.bash("echo 41", output_processor=lambda line: int(line) + 1)
        self.assertEqual(value, 42)

    def test_task_bash_runs_the_rendered_string_and_refuses_non_strings(self):
        op = Op(python_callable=lambda n: "echo {{ ds }} %d" % n, op_args=[7], op_kwargs={}, env=None, bash_command="")
        with mock.patch.object(sys, "stdout", io.StringIO()):
            self.assertEqual(operators.execute_task_bash(op, self.context), "2024-01-01 7")
        for bad in (None, "  ", 5):
            op = Op(python_callable=lambda: bad, op_args=[], op_kwargs={}, env=None, bash_command="")
            with self.assertRaisesRegex(TypeError, "must be a non-empty string"):
                operators.execute_task_bash(op, self.context)


if __name__ == "__main__":
    unittest.main()
