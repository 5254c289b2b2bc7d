"""Names that Airflow's own example DAGs import and that the compatibility sweep (issue 9) found
missing: the common.compat provider's re-exports, WeightRule, get_parsing_context."""
from __future__ import annotations

import importlib
import os
import unittest.mock

from tests.test_authoring_helpers import AuthoringTestCase


class CompatProvider(AuthoringTestCase):
    def test_compat_sdk_names_are_the_sdk_objects(self) -> None:
        compat = importlib.import_module("airflow.providers.common.compat.sdk")
        sdk = importlib.import_module("airflow.sdk")
        for name in ("TriggerRule", "BaseOperator", "dag", "task", "chain", "TaskGroup", "Param", "Label",
                     "get_current_context", "XComArg", "WeightRule", "get_parsing_context", "Variable"):
            with self.subTest(name=name):
                self.assertIs(getattr(compat, name), getattr(sdk, name))
        exceptions = importlib.import_module("airflow.exceptions")
        self.assertIs(compat.AirflowSkipException, exceptions.AirflowSkipException)
        self.assertIs(compat.timezone, importlib.import_module("airflow.sdk.timezone"))
        self.assertEqual(compat.XCOM_RETURN_KEY, "return_value")

    def test_a_compat_name_we_lack_is_an_import_error_naming_it(self) -> None:
        with self.assertRaisesRegex(ImportError, r"cannot import name 'BaseNotifier' from "
                                                 r"'airflow\.providers\.common\.compat\.sdk'.*not available"):
            exec("from airflow.providers.common.compat.sdk import BaseNotifier", {})

    def test_compat_standard_operators(self) -> None:
        compat = importlib.import_module("airflow.providers.common.compat.standard.operators")
        python = importlib.import_module("airflow.providers.standard.operators.python")
        self.assertIs(compat.PythonOperator, python.PythonOperator)
        self.assertIs(compat.ShortCircuitOperator, python.ShortCircuitOperator)

    def test_a_dag_written_against_the_compat_provider_parses(self) -> None:
        namespace: dict = {}
        exec(
            "from airflow.providers.common.compat.sdk import TriggerRule, dag, task, chain\n"
            "from airflow.providers.standard.operators.empty import EmptyOperator\n"
            "@dag(schedule=None)\n"
            "def gate():\n"
            "    @task.short_circuit\n"
            "    def go():\n"
            "        return False\n"
            "    chain(go(), EmptyOperator(task_id='after'), EmptyOperator(task_id='end', trigger_rule=TriggerRule.ALL_DONE))\n"
            "d = gate()\n",
            namespace,
        )
        tasks = self.tasks(namespace["d"])
        self.assertEqual(tasks["after"]["upstream"], ["go"])
        self.assertEqual(tasks["end"]["trigger_rule"], "all_done")
        self.assertEqual(tasks["go"]["args"]["kind"], "task_short_circuit")


class WeightRuleAndParsingContext(AuthoringTestCase):
    def test_weight_rule_enum_in_both_spellings(self) -> None:
        from airflow.sdk import WeightRule
        from airflow.utils.weight_rule import WeightRule as Airflow2WeightRule

        self.assertIs(WeightRule, Airflow2WeightRule)
        self.assertEqual(WeightRule.UPSTREAM, "upstream")
        self.assertTrue(WeightRule.is_valid("absolute"))
        self.assertFalse(WeightRule.is_valid("sideways"))

    def test_weight_rule_on_a_task_is_accepted_and_warned(self) -> None:
        from airflow.providers.standard.operators.empty import EmptyOperator
        from airflow.sdk import DAG, WeightRule

        with DAG("w", schedule=None) as dag:
            EmptyOperator(task_id="t", weight_rule=WeightRule.UPSTREAM)
        warnings = self.raw(dag)["warnings"]
        self.assertTrue(any("task 't': weight_rule=" in w and "ignored" in w for w in warnings), warnings)

    def test_parsing_context_is_empty_at_parse_and_read_from_the_environment(self) -> None:
        from airflow.sdk import get_parsing_context
        from airflow.utils.dag_parsing_context import get_parsing_context as airflow2

        self.assertIs(get_parsing_context, airflow2)
        with unittest.mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("_AIRFLOW_PARSING_CONTEXT_DAG_ID", None)
            os.environ.pop("_AIRFLOW_PARSING_CONTEXT_TASK_ID", None)
            self.assertEqual((get_parsing_context().dag_id, get_parsing_context().task_id), (None, None))
        with unittest.mock.patch.dict(os.environ, {"_AIRFLOW_PARSING_CONTEXT_DAG_ID": "gen_3",
                                                   "_AIRFLOW_PARSING_CONTEXT_TASK_ID": "load"}):
            self.assertEqual(get_parsing_context().dag_id, "gen_3")
            self.assertEqual(get_parsing_context().task_id, "load")


class ObjectStorage(AuthoringTestCase):
    def test_object_storage_paths_import_and_refuse_use_naming_the_feature(self) -> None:
        from airflow_serverless.errors import NotYetSupported
        from airflow.io.path import ObjectStoragePath as Airflow2Path
        from airflow.sdk import ObjectStoragePath

        self.assertIs(ObjectStoragePath, Airflow2Path)
        with self.assertRaisesRegex(NotYetSupported, r"object storage \(ObjectStoragePath\) is not supported yet"):
            ObjectStoragePath("s3://bucket/data/")


class Literal(AuthoringTestCase):
    def test_literal_values_pass_through_templating_unrendered(self) -> None:
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG, literal
        from airflow.sdk.definitions.template import literal as sdk_definitions_literal
        from airflow.utils.template import literal as airflow2_literal
        from airflow_serverless.runtime.templating import Renderer

        self.assertIs(literal, sdk_definitions_literal)
        self.assertIs(literal, airflow2_literal)
        with DAG("lit", schedule=None) as dag:
            op = BashOperator(task_id="b", bash_command=literal("echo '{{ ds }}' run.sh"))
        self.assertEqual(self.tasks(dag)["b"]["upstream"], [])
        renderer = Renderer({"ds": "2024-01-01"}, dag=dag)
        self.assertEqual(renderer.render(op.bash_command, op.template_ext), "echo '{{ ds }}' run.sh")
        self.assertEqual(renderer.render(["{{ ds }}", literal("{{ ds }}")]), ["2024-01-01", "{{ ds }}"])


class _FakeTI:
    def __init__(self, stored):
        self.stored = stored

    def xcom_pull(self, task_ids=None, key="return_value", default=None, **_):
        return self.stored.get((task_ids, key), default)


class XComArgResolution(AuthoringTestCase):
    def test_a_missing_key_fails_naming_it_and_a_missing_return_value_is_none(self) -> None:
        from airflow.exceptions import XComNotFound
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG, XComArg, task

        with DAG("x", schedule=None):
            op = BashOperator(task_id="op", bash_command="true")

            @task(multiple_outputs=True)
            def many():
                return {"a": 1}

            m = many()
        context = {"ti": _FakeTI({("op", "there"): 0})}
        self.assertEqual(XComArg(op, key="there").resolve(context), 0)  # a falsy value is a value
        self.assertIsNone(XComArg(op).resolve(context))
        self.assertIsNone(m["a"].resolve(context))  # multiple_outputs keys may be absent (skipped task)
        with self.assertRaisesRegex(XComNotFound, 'XComArg result from op at x with key="greeting" is not found!'):
            op.output["greeting"].resolve(context)


class SubmodulesAsAttributes(AuthoringTestCase):
    def test_shipped_submodules_are_reached_as_attributes_without_their_own_import(self) -> None:
        import subprocess
        import sys

        from tests.test_authoring_helpers import PYTHON_DIR

        # A fresh interpreter: in this one the submodules are imported already.
        code = (
            "import airflow\n"
            "print(airflow.utils.dates.days_ago(0).tzinfo is not None)\n"
            "print(airflow.operators.bash.BashOperator.__name__, airflow.models.dag.DAG.__name__)\n"
            "print(airflow.sdk.timezone.utc is not None, airflow.timetables.trigger.CronTriggerTimetable.__name__)\n"
            "for path in ('utils.nothing_here', 'no_such_package', 'models.Pool'):\n"
            "    obj = airflow\n"
            "    try:\n"
            "        for part in path.split('.'):\n"
            "            obj = getattr(obj, part)\n"
            "        print('found', path)\n"
            "    except AttributeError:\n"
            "        print('missing', path)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], cwd=PYTHON_DIR, capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.split("\n")[:6], [
            "True", "BashOperator DAG", "True CronTriggerTimetable",
            "missing utils.nothing_here", "missing no_such_package", "missing models.Pool"])


class Airflow1Flags(AuthoringTestCase):
    def test_airflow_2_0_task_decorator_spelling(self) -> None:
        from airflow.decorators import task as decorators_task
        from airflow.operators.python import task

        self.assertIs(task, decorators_task)

    def test_provide_context_is_accepted_with_a_warning_on_python_operators_only(self) -> None:
        from airflow.operators.bash_operator import BashOperator
        from airflow.operators.python_operator import BranchPythonOperator, PythonOperator
        from airflow.sdk import DAG
        from airflow.exceptions import AirflowException

        with DAG("old", schedule=None, default_args={"provide_context": True}) as dag:
            PythonOperator(task_id="direct", python_callable=lambda **kw: None, provide_context=True)
            BranchPythonOperator(task_id="from_defaults", python_callable=lambda **kw: "direct")
            PythonOperator(task_id="off", python_callable=lambda: None, provide_context=False)
        warnings = self.raw(dag)["warnings"]
        for task_id in ("direct", "from_defaults"):
            self.assertIn(f"task '{task_id}': provide_context=True is accepted and ignored "
                          "(Airflow 1's flag: the context is always passed to the callable)", warnings)
        self.assertFalse(any("'off'" in w for w in warnings), warnings)
        # Airflow never took it on other operators: still an invalid argument there.
        with DAG("old2", schedule=None):
            with self.assertRaisesRegex(AirflowException, "Invalid arguments were passed to BashOperator.*provide_context"):
                BashOperator(task_id="b", bash_command="true", provide_context=True)


if __name__ == "__main__":
    unittest.main()
