"""Every import name of the brief, in its Airflow 2 and 3 spellings, resolves to the one core object;
later-issue names import and refuse use; unknown airflow modules fail naming themselves."""
from __future__ import annotations

import importlib
import subprocess
import sys
import unittest

from tests.test_authoring_helpers import PYTHON_DIR, AuthoringTestCase

from airflow_serverless.errors import NotYetSupported

NAMES = {
    "airflow": ["DAG"],
    "airflow.models": ["DAG", "BaseOperator", "Param", "Variable", "Connection", "XComArg", "TaskInstance", "DagRun"],
    "airflow.models.dag": ["DAG", "dag"],
    "airflow.sdk": ["DAG", "dag", "task", "task_group", "TaskGroup", "Param", "ParamsDict", "chain", "chain_linear",
                    "cross_downstream", "get_current_context", "BaseOperator", "Label", "Context", "TriggerRule",
                    "XComArg", "setup", "teardown", "Asset", "Variable", "Connection", "BaseSensorOperator",
                    "DagRunState", "TaskInstanceState", "BaseBranchOperator", "WeekDay"],
    "airflow.decorators": ["dag", "task", "task_group", "setup", "teardown"],
    "airflow.operators.bash": ["BashOperator"],
    "airflow.operators.python": ["PythonOperator", "BranchPythonOperator", "ShortCircuitOperator", "get_current_context",
                                 "PythonVirtualenvOperator", "ExternalPythonOperator"],
    "airflow.operators.empty": ["EmptyOperator"],
    "airflow.operators.dummy": ["DummyOperator", "EmptyOperator"],
    "airflow.providers.standard.operators.bash": ["BashOperator"],
    "airflow.providers.standard.operators.python": ["PythonOperator", "BranchPythonOperator", "ShortCircuitOperator",
                                                    "get_current_context"],
    "airflow.providers.standard.operators.empty": ["EmptyOperator"],
    "airflow.utils.task_group": ["TaskGroup"],
    "airflow.utils.trigger_rule": ["TriggerRule"],
    "airflow.utils.dates": ["days_ago"],
    "airflow.utils.edgemodifier": ["Label"],
    "airflow.utils.weekday": ["WeekDay"],
    "airflow.utils.context": ["Context", "get_current_context"],
    "airflow.utils.helpers": ["chain", "cross_downstream"],
    "airflow.models.baseoperator": ["BaseOperator", "chain", "chain_linear", "cross_downstream"],
    "airflow.models.param": ["Param", "ParamsDict"],
    "airflow.models.xcom_arg": ["XComArg"],
    "airflow.exceptions": ["AirflowException", "AirflowSkipException", "AirflowFailException", "AirflowSensorTimeout",
                           "AirflowTaskTimeout", "AirflowNotFoundException", "ParamValidationError", "DuplicateTaskIdFound"],
    "airflow.timetables.trigger": ["CronTriggerTimetable", "DeltaTriggerTimetable", "MultipleCronTriggerTimetable"],
    "airflow.timetables.interval": ["CronDataIntervalTimetable", "DeltaDataIntervalTimetable"],
    "airflow.timetables.simple": ["NullTimetable", "OnceTimetable"],
    "airflow.sensors.base": ["BaseSensorOperator"],
    "airflow.sensors.python": ["PythonSensor"],
    "airflow.sensors.filesystem": ["FileSensor"],
    "airflow.sensors.time_delta": ["TimeDeltaSensor"],
    "airflow.sensors.external_task": ["ExternalTaskSensor", "ExternalTaskMarker"],
    "airflow.providers.standard.sensors.python": ["PythonSensor"],
    "airflow.providers.standard.sensors.bash": ["BashSensor"],
    "airflow.operators.trigger_dagrun": ["TriggerDagRunOperator"],
    "airflow.providers.standard.operators.trigger_dagrun": ["TriggerDagRunOperator"],
    "airflow.datasets": ["Dataset"],
    "airflow.hooks.base": ["BaseHook"],
    "airflow.macros": ["ds_add", "ds_format", "datetime", "timedelta"],
    "airflow.utils.state": ["State", "TaskInstanceState", "DagRunState"],
    "airflow.utils.timezone": ["utcnow", "datetime", "make_aware", "convert_to_utc"],
    "airflow.operators.bash_operator": ["BashOperator"],
    "airflow.operators.python_operator": ["PythonOperator", "BranchPythonOperator"],
    "airflow.operators.dummy_operator": ["DummyOperator"],
    "airflow.models.taskinstance": ["TaskInstance"],
    "airflow.models.dagrun": ["DagRun"],
    "airflow.sdk.bases.operator": ["BaseOperator", "chain"],
    "airflow.sdk.definitions.dag": ["DAG", "dag"],
    "airflow.sdk.api.datamodels._generated": ["TriggerRule", "TaskInstanceState"],
    "airflow.utils.decorators": ["apply_defaults"],
    "airflow.sdk.timezone": ["utcnow", "datetime", "parse"],
    "airflow.providers.standard.utils.weekday": ["WeekDay"],
    "airflow.utils.log.logging_mixin": ["LoggingMixin"],
    "airflow.utils.types": ["DagRunType", "NOTSET"],
    "airflow.sdk.exceptions": ["AirflowException", "AirflowSkipException", "AirflowFailException", "ParamValidationError"],
}

# Same object whatever the spelling: one core, thin aliases.
SAME = [
    ("airflow.DAG", "airflow.models.dag.DAG", "airflow.models.DAG", "airflow.sdk.DAG"),
    ("airflow.operators.bash.BashOperator", "airflow.providers.standard.operators.bash.BashOperator"),
    ("airflow.operators.python.PythonOperator", "airflow.providers.standard.operators.python.PythonOperator"),
    ("airflow.operators.empty.EmptyOperator", "airflow.operators.dummy.DummyOperator",
     "airflow.providers.standard.operators.empty.EmptyOperator"),
    ("airflow.decorators.task", "airflow.sdk.task"),
    ("airflow.decorators.dag", "airflow.sdk.dag", "airflow.models.dag.dag"),
    ("airflow.utils.task_group.TaskGroup", "airflow.sdk.TaskGroup"),
    ("airflow.models.param.Param", "airflow.sdk.Param", "airflow.models.Param"),
    ("airflow.models.baseoperator.chain", "airflow.sdk.chain", "airflow.utils.helpers.chain"),
    ("airflow.utils.edgemodifier.Label", "airflow.sdk.Label"),
    ("airflow.utils.trigger_rule.TriggerRule", "airflow.sdk.TriggerRule"),
    ("airflow.exceptions.AirflowSkipException", "airflow.sdk.exceptions.AirflowSkipException"),
    ("airflow.models.baseoperator.BaseOperator", "airflow.sdk.BaseOperator", "airflow.models.BaseOperator"),
    ("airflow.operators.python.get_current_context", "airflow.sdk.get_current_context",
     "airflow.providers.standard.operators.python.get_current_context"),
]


def resolve(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


class ImportNames(AuthoringTestCase):
    def test_every_name_imports(self) -> None:
        for module, names in NAMES.items():
            mod = importlib.import_module(module)
            for name in names:
                with self.subTest(name=f"{module}.{name}"):
                    self.assertTrue(hasattr(mod, name), f"{module}.{name} is missing")

    def test_spellings_are_aliases_of_one_object(self) -> None:
        for group in SAME:
            objects = {id(resolve(name)) for name in group}
            self.assertEqual(len(objects), 1, group)

    def test_unknown_airflow_modules_fail_naming_the_module(self) -> None:
        with self.assertRaisesRegex(ModuleNotFoundError, r"airflow\.providers\.amazon\.aws\.operators\.s3 \(provider package "
                                                         r"apache-airflow-providers-amazon\) is not available in airflow-serverless \(supported: "):
            importlib.import_module("airflow.providers.amazon.aws.operators.s3")
        with self.assertRaisesRegex(ModuleNotFoundError, r"^airflow\.kubernetes\.secret is not available"):
            exec("from airflow.kubernetes.secret import Secret", {})
        with self.assertRaisesRegex(ImportError, "cannot import name 'NoSuchOperator'"):
            exec("from airflow.operators.bash import NoSuchOperator", {})
        with self.assertRaisesRegex(ImportError, r"cannot import name 'Pool' from 'airflow\.models'"):
            exec("from airflow.models import Pool", {})
        import airflow.models

        with self.assertRaisesRegex(AttributeError, r"airflow\.models\.Pool is not available in airflow-serverless"):
            airflow.models.Pool  # noqa: B018

    def test_get_current_context_delegates_to_the_task_runner(self) -> None:
        from airflow.operators.python import get_current_context

        # Outside a running task the runner's function refuses, as Airflow does.
        with self.assertRaisesRegex(RuntimeError, "context"):
            get_current_context()

    def test_probing_for_a_provider_answers_none(self) -> None:
        import importlib.util

        import airflow.providers  # noqa: F401

        self.assertIsNone(importlib.util.find_spec("airflow.providers.amazon"))

    def test_unknown_task_decorator_is_named(self) -> None:
        from airflow.decorators import task

        with self.assertRaisesRegex(AttributeError, r"@task\.docker is not available in airflow-serverless"):
            task.docker  # noqa: B018

    def test_import_of_airflow_is_cheap_and_lazy(self) -> None:
        code = ("import sys, time; t = time.perf_counter(); import airflow; "
                "print(round((time.perf_counter() - t) * 1000, 1)); "
                "print(' '.join(sorted(m for m in sys.modules if m.startswith('airflow'))))")
        out = subprocess.run([sys.executable, "-c", code], cwd=PYTHON_DIR, capture_output=True, text=True, check=True).stdout
        millis, modules = out.splitlines()
        # `import airflow` loads only the package and its import finder; everything else is lazy.
        self.assertEqual(modules.split(), ["airflow", "airflow._core", "airflow._core.finder"])
        self.assertLess(float(millis), 50)


class LaterFeaturesRefuseUse(AuthoringTestCase):
    def assertNotYet(self, feature_regex: str, fn, *args, **kwargs) -> None:  # noqa: N802
        with self.assertRaisesRegex(NotYetSupported, feature_regex + r".* is not supported yet by airflow-serverless$"):
            fn(*args, **kwargs)

    def test_sensors_trigger_and_virtualenv_operators(self) -> None:
        from airflow import DAG
        from airflow.operators.python import ExternalPythonOperator, PythonVirtualenvOperator
        from airflow.operators.trigger_dagrun import TriggerDagRunOperator
        from airflow.sensors.base import BaseSensorOperator
        from airflow.sensors.python import PythonSensor

        class MySensor(BaseSensorOperator):
            def poke(self, context):
                return True

        with DAG("d"):
            self.assertNotYet(r"^sensors \(PythonSensor\)", PythonSensor, task_id="s", python_callable=lambda: True)
            self.assertNotYet(r"^sensors \(BaseSensorOperator\)", MySensor, task_id="m")
            self.assertNotYet(r"^TriggerDagRunOperator", TriggerDagRunOperator, task_id="t", trigger_dag_id="x")
            self.assertNotYet(r"^PythonVirtualenvOperator", PythonVirtualenvOperator, task_id="v", python_callable=print)
            self.assertNotYet(r"^ExternalPythonOperator", ExternalPythonOperator, task_id="e", python="/x", python_callable=print)

    def test_mapping_variables_connections_assets_and_decorator_variants(self) -> None:
        from airflow import DAG
        from airflow.decorators import task, task_group
        from airflow.hooks.base import BaseHook
        from airflow.models import Connection, Variable
        from airflow.operators.bash import BashOperator
        from airflow.sdk import Asset

        with DAG("d"):
            @task
            def one(x):
                return x

            @task_group
            def group(x):
                one(x)

            self.assertNotYet(r"^dynamic task mapping \(\.expand\)", one.expand, x=[1, 2])
            self.assertNotYet(r"^dynamic task mapping \(\.partial\)", one.partial, x=1)
            self.assertNotYet(r"^dynamic task mapping of task groups", group.expand, x=[1])
            self.assertNotYet(r"^dynamic task mapping \(\.partial\)", BashOperator.partial, task_id="b")
            self.assertNotYet(r"^dynamic task mapping \(XComArg\.map\)", one(1).map, str)
            self.assertNotYet(r"^Variable\.get\('key'\)", Variable.get, "key")
            self.assertNotYet(r"^Variable\.set\('key'\)", Variable.set, "key", 1)
            self.assertNotYet(r"^BaseHook\.get_connection\('db'\)", BaseHook.get_connection, "db")
            self.assertNotYet(r"^Airflow Connections", Connection, conn_id="x")
            self.assertNotYet(r"^Assets/Datasets", Asset, "s3://bucket/key")
            self.assertNotYet(r"^@task\.virtualenv", task.virtualenv, requirements=["x"])
            self.assertNotYet(r"^@task\.sensor", task.sensor, poke_interval=5)
            self.assertNotYet(r"^@task\.external_python", task.external_python, python="/x")

    def test_schedules_we_do_not_run(self) -> None:
        from airflow import DAG
        from airflow.timetables.simple import ContinuousTimetable
        from airflow.timetables.events import EventsTimetable

        self.assertNotYet(r"^schedule='@continuous'", DAG, "c", schedule="@continuous")
        self.assertNotYet(r"^schedule='@continuous'", DAG, "c", schedule=ContinuousTimetable())
        self.assertNotYet(r"^EventsTimetable", DAG, "e", schedule=EventsTimetable(event_dates=[]))


if __name__ == "__main__":
    unittest.main()
