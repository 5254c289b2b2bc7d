"""DAG and task arguments -> RawDag (python/PROTOCOL.md "RawDag")."""
from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from tests.test_authoring_helpers import AuthoringTestCase

import pendulum  # noqa: E402 - the stand-in when the real one is absent (the helpers put it on sys.path)

from airflow import DAG
from airflow.decorators import dag, task
from airflow.models.param import Param
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import BranchPythonOperator, PythonOperator, ShortCircuitOperator
from airflow.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from airflow.timetables.simple import NullTimetable, OnceTimetable
from airflow.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable
from airflow.exceptions import AirflowException
from airflow.models.baseoperator import BaseOperator
from airflow.utils.dates import days_ago
from airflow.utils.trigger_rule import TriggerRule
from airflow_serverless.errors import DagSerializationError, NotYetSupported

START = dt.datetime(2024, 1, 1)


def noop(**_: object) -> None:
    pass


def notify(context: object) -> None:
    pass


class DagArguments(AuthoringTestCase):
    def test_unset_values_are_null_for_typescript_defaults(self) -> None:
        raw = self.raw(DAG("bare"))
        self.assertEqual(raw["schedule"], {"kind": "none"})
        for key in ("catchup", "max_active_runs", "max_active_tasks", "dagrun_timeout", "start_date", "end_date",
                    "is_paused_upon_creation", "description", "doc_md"):
            self.assertIsNone(raw[key], key)
        self.assertEqual(raw["timezone"], "UTC")
        self.assertEqual(raw["params"], {})
        self.assertNotIn("params_schema", raw)
        self.assertEqual(raw["warnings"], [])
        json.dumps(raw, allow_nan=False)

    def test_every_dag_argument(self) -> None:
        d = DAG(
            "full", description="desc", schedule="*/5  * * * *", start_date=dt.datetime(2024, 1, 1, 6),
            end_date=dt.datetime(2024, 12, 31), catchup=True, max_active_runs=2, max_active_tasks=4,
            dagrun_timeout=dt.timedelta(hours=1), tags=["a", "b"], doc_md="# Doc", is_paused_upon_creation=False,
            render_template_as_native_obj=True, template_searchpath="/tmp", user_defined_macros={"x": 1},
            user_defined_filters={"up": str.upper},
        )
        raw = self.raw(d)
        self.assertEqual(raw["schedule"], {"kind": "cron", "expression": "*/5 * * * *", "preset": None})
        self.assertEqual((raw["start_date"], raw["end_date"]), ("2024-01-01T06:00:00Z", "2024-12-31T00:00:00Z"))
        self.assertEqual((raw["catchup"], raw["max_active_runs"], raw["max_active_tasks"]), (True, 2, 4))
        self.assertEqual(raw["dagrun_timeout"], 3600)
        self.assertEqual(raw["tags"], ["a", "b"])
        self.assertEqual((raw["description"], raw["doc_md"]), ("desc", "# Doc"))
        self.assertEqual((raw["is_paused_upon_creation"], raw["render_template_as_native_obj"]), (False, True))
        self.assertEqual(d.template_searchpath, ["/tmp"])
        self.assertEqual(d.user_defined_macros, {"x": 1})
        self.assertEqual(raw["warnings"], [])

    def test_get_template_env_has_the_dags_macros_and_filters(self) -> None:
        d = DAG("env", user_defined_macros={"team": "data"}, user_defined_filters={"twice": lambda v: v * 2})
        self.assertEqual(d.get_template_env().from_string("{{ team | twice }}").render(), "datadata")

    def test_catchup_false_is_kept(self) -> None:
        self.assertIs(self.raw(DAG("c", catchup=False))["catchup"], False)

    def test_zone_comes_from_start_date_and_naive_dates_use_it(self) -> None:
        raw = self.raw(DAG("p", start_date=pendulum.datetime(2024, 6, 1, tz="Europe/Paris"), end_date=dt.datetime(2024, 7, 1)))
        self.assertEqual(raw["timezone"], "Europe/Paris")
        self.assertEqual(raw["start_date"], "2024-05-31T22:00:00Z")
        self.assertEqual(raw["end_date"], "2024-06-30T22:00:00Z")
        raw = self.raw(DAG("z", start_date=dt.datetime(2024, 1, 1, tzinfo=zoneinfo.ZoneInfo("America/New_York"))))
        self.assertEqual((raw["timezone"], raw["start_date"]), ("America/New_York", "2024-01-01T05:00:00Z"))
        raw = self.raw(DAG("f", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))))
        self.assertEqual(raw["timezone"], "Etc/GMT-2")
        with self.assertRaisesRegex(ValueError, "not a whole number of hours"):
            (DAG("g", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))))

    def test_zone_names_of_other_zone_libraries(self) -> None:
        from airflow._core.timezones import zone_name

        class DateutilLike(dt.tzinfo):  # tz.gettz("Europe/Paris") keeps the file it read
            _filename = "/usr/share/zoneinfo/Europe/Paris"

        class PytzLike(dt.tzinfo):
            zone = "Asia/Tokyo"

        self.assertEqual((zone_name(DateutilLike()), zone_name(PytzLike())), ("Europe/Paris", "Asia/Tokyo"))
        self.assertEqual(zone_name(dt.timezone(dt.timedelta(hours=-5))), "Etc/GMT+5")

    def test_start_date_from_default_args_and_days_ago(self) -> None:
        raw = self.raw(DAG("d", default_args={"start_date": days_ago(2), "owner": "ann"}))
        expected = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).strftime("%Y-%m-%dT00:00:00Z")
        self.assertEqual(raw["start_date"], expected)

    def test_airflow2_spellings(self) -> None:
        raw = self.raw(DAG("old", schedule_interval="@hourly", concurrency=3))
        self.assertEqual(raw["schedule"], {"kind": "cron", "expression": "0 * * * *", "preset": "@hourly"})
        self.assertEqual(raw["max_active_tasks"], 3)
        self.assertEqual(raw["warnings"], [
            "DAG 'old': schedule_interval is Airflow 2's name (removed in Airflow 3); read as schedule",
            "DAG 'old': concurrency is Airflow 2's name (removed in Airflow 3); read as max_active_tasks",
        ])
        with self.assertRaisesRegex(AirflowException, "not both"):
            DAG("both", schedule="@daily", schedule_interval="@daily")

    def test_ignored_dag_arguments_warn(self) -> None:
        raw = self.raw(DAG("w", on_failure_callback=notify, on_success_callback=[notify], sla_miss_callback=notify,
                           owner_links={"ann": "https://x"}, access_control={"r": {"can_read"}}, fail_stop=True,
                           default_view="graph"))
        self.assertEqual(raw["warnings"], [
            "DAG 'w': on_success_callback=[notify] is accepted and ignored (callbacks are not run yet)",
            "DAG 'w': on_failure_callback=notify is accepted and ignored (callbacks are not run yet)",
            "DAG 'w': sla_miss_callback=notify is accepted and ignored (SLAs are not checked)",
            "DAG 'w': access_control={'r': {'can_read'}} is accepted and ignored (no per-DAG access control in airflow-serverless)",
            "DAG 'w': owner_links={'ann': 'https://x'} is accepted and ignored (the UI does not show owner links)",
            "DAG 'w': default_view='graph' is accepted and ignored (the UI has one DAG view)",
            "DAG 'w': fail_stop=True is accepted and ignored (not enforced yet: other tasks keep running after a failure)",
        ])

    def test_doc_md_file_is_read_from_the_dag_folder(self) -> None:
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "README.md"), "w") as f:
                f.write("# From file\n")
            d = DAG("doc", doc_md="README.md", _fileloc=os.path.join(folder, "x.py"))
            self.assertEqual(self.raw(d)["doc_md"], "# From file\n")


class Schedules(AuthoringTestCase):
    def spec(self, schedule: object) -> dict:
        return self.raw(DAG("s", schedule=schedule))["schedule"]

    def test_strings_presets_deltas_and_none(self) -> None:
        self.assertEqual(self.spec("@daily"), {"kind": "cron", "expression": "0 0 * * *", "preset": "@daily"})
        self.assertEqual(self.spec("0 0 29 2 *"), {"kind": "cron", "expression": "0 0 29 2 *", "preset": None})
        self.assertEqual(self.spec("@once"), {"kind": "once"})
        self.assertEqual(self.spec(None), {"kind": "none"})
        self.assertEqual(self.spec(dt.timedelta(hours=1, minutes=30)), {"kind": "delta", "seconds": 5400})

    def test_timetable_objects_keep_their_arguments(self) -> None:
        self.assertEqual(
            self.spec(CronTriggerTimetable("0 6 * * *", timezone="Europe/Paris", interval=dt.timedelta(hours=1),
                                           run_immediately=dt.timedelta(minutes=10))),
            {"kind": "cron", "expression": "0 6 * * *", "preset": None, "timetable": "trigger", "timezone": "Europe/Paris",
             "interval_seconds": 3600, "run_immediately": 600})
        self.assertEqual(self.spec(CronTriggerTimetable("@daily", timezone=pendulum.timezone("UTC"), run_immediately=True)),
                         {"kind": "cron", "expression": "0 0 * * *", "preset": "@daily", "timetable": "trigger",
                          "timezone": "UTC", "run_immediately": True})
        self.assertEqual(self.spec(CronDataIntervalTimetable("0 0 * * 1", timezone="UTC")),
                         {"kind": "cron", "expression": "0 0 * * 1", "preset": None, "timetable": "data_interval", "timezone": "UTC"})
        self.assertEqual(self.spec(DeltaDataIntervalTimetable(dt.timedelta(days=1))),
                         {"kind": "delta", "seconds": 86400, "timetable": "data_interval"})
        self.assertEqual(self.spec(DeltaTriggerTimetable(dt.timedelta(hours=2), interval=dt.timedelta(hours=2))),
                         {"kind": "delta", "seconds": 7200, "timetable": "trigger", "interval_seconds": 7200})
        self.assertEqual(self.spec(MultipleCronTriggerTimetable("0 1 * * *", "30 2 * * *", timezone="Asia/Tokyo")),
                         {"kind": "multi_cron", "expressions": ["0 1 * * *", "30 2 * * *"], "timezone": "Asia/Tokyo"})
        self.assertEqual(self.spec(NullTimetable()), {"kind": "none"})
        self.assertEqual(self.spec(OnceTimetable()), {"kind": "once"})
        self.assertEqual(self.raw(DAG("t", timetable=OnceTimetable()))["schedule"], {"kind": "once"})

    def test_refused_schedules_name_themselves(self) -> None:
        class relativedelta:  # noqa: N801 - stands in for dateutil's class, matched by name
            pass

        with self.assertRaisesRegex(NotYetSupported, "relativedelta"):
            DAG("r", schedule=relativedelta())
        with self.assertRaisesRegex(TypeError, "schedule must be a cron string"):
            DAG("bad", schedule=42)

        from airflow.timetables.base import Timetable

        class Custom(Timetable):
            pass

        with self.assertRaisesRegex(NotYetSupported, "custom timetable .*Custom"):
            DAG("c", schedule=Custom())


class TaskArguments(AuthoringTestCase):
    def test_every_task_argument(self) -> None:
        with DAG("t", start_date=START) as d:
            BashOperator(
                task_id="b", bash_command="echo", retries=3, retry_delay=dt.timedelta(seconds=30),
                retry_exponential_backoff=True, max_retry_delay=dt.timedelta(minutes=10),
                execution_timeout=dt.timedelta(minutes=5), trigger_rule=TriggerRule.ALL_DONE, depends_on_past=True,
                owner="ann", env={"A": "1"}, append_env=True, cwd="/tmp", doc_md="**doc**", params={"p": 1},
            )
            PythonOperator(task_id="p", python_callable=noop, op_args=[1], op_kwargs={"k": 2}, templates_dict={"t": "{{ ds }}"},
                           do_xcom_push=False, multiple_outputs=True, retry_delay=45, doc="plain doc")
        tasks = self.tasks(d)
        b = tasks["b"]
        self.assertEqual((b["retries"], b["retry_delay"], b["retry_exponential_backoff"], b["max_retry_delay"],
                          b["execution_timeout"]), (3, 30, 2, 600, 300))
        self.assertEqual((b["trigger_rule"], b["depends_on_past"], b["owner"], b["doc_md"], b["params"]),
                         ("all_done", True, "ann", "**doc**", {"p": 1}))
        self.assertEqual((b["operator"], b["args"]), ("python_file", {"kind": "bash"}))
        op = d.task_dict["b"]
        self.assertEqual((op.env, op.append_env, op.cwd, op.skip_on_exit_code, op.output_encoding), ({"A": "1"}, True, "/tmp", [99], "utf-8"))
        p = tasks["p"]
        self.assertEqual((p["retry_delay"], p["doc_md"], p["retries"], p["owner"], p["trigger_rule"]), (45, "plain doc", None, None, "all_success"))
        pop = d.task_dict["p"]
        self.assertEqual((pop.op_args, pop.op_kwargs, pop.templates_dict, pop.do_xcom_push, pop.multiple_outputs),
                         ([1], {"k": 2}, {"t": "{{ ds }}"}, False, True))
        self.assertEqual(self.raw(d)["owners"], ["ann"])

    def test_operator_kinds_and_class_paths(self) -> None:
        class Custom(BaseOperator):
            template_fields = ("path",)

            def __init__(self, path: str, **kwargs: object) -> None:
                super().__init__(**kwargs)
                self.path = path

            def execute(self, context: object) -> str:
                return self.path

        class QuietBash(BashOperator):
            pass

        with DAG("k") as d:
            EmptyOperator(task_id="e")
            BranchPythonOperator(task_id="br", python_callable=noop)
            ShortCircuitOperator(task_id="sc", python_callable=noop, ignore_downstream_trigger_rules=False)
            Custom(task_id="c", path="/x")
            QuietBash(task_id="q", bash_command="true")

            @task.bash
            def tb() -> str:
                return "echo"

            @task.branch
            def tbr() -> str:
                return "e"

            @task.short_circuit
            def tsc() -> bool:
                return True

            @task.python
            def tp() -> None:
                pass

            tb(), tbr(), tsc(), tp()
        tasks = self.tasks(d)
        self.assertEqual((tasks["e"]["operator"], tasks["e"]["args"], tasks["e"]["operator_class"]),
                         ("empty", {}, "airflow.providers.standard.operators.empty.EmptyOperator"))
        self.maxDiff = None
        kinds = {tid: (t["args"].get("kind"), t["operator_class"]) for tid, t in tasks.items() if tid != "e"}
        self.assertEqual(kinds, {
            "br": ("branch", "airflow.providers.standard.operators.python.BranchPythonOperator"),
            "sc": ("short_circuit", "airflow.providers.standard.operators.python.ShortCircuitOperator"),
            "c": ("custom", f"{__name__}.Custom"),
            "q": ("bash", f"{__name__}.QuietBash"),
            "tb": ("task_bash", "airflow.providers.standard.decorators.bash._BashDecoratedOperator"),
            "tbr": ("task_branch", "airflow.providers.standard.decorators.branch_python._BranchPythonDecoratedOperator"),
            "tsc": ("task_short_circuit", "airflow.providers.standard.decorators.short_circuit._ShortCircuitDecoratedOperator"),
            "tp": ("task", "airflow.providers.standard.decorators.python._PythonDecoratedOperator"),
        })
        self.assertFalse(d.task_dict["sc"].ignore_downstream_trigger_rules)

    def test_default_args_apply_as_airflow_does(self) -> None:
        args = {"owner": "data", "retries": 2, "retry_delay": dt.timedelta(minutes=1), "depends_on_past": True,
                "on_failure_callback": notify, "email": ["a@x"], "email_on_failure": True, "pool": "etl",
                "cwd": "/work", "op_kwargs": {"from": "default"}, "retires": 1, "start_date": START}
        with DAG("da", default_args=args) as d:
            BashOperator(task_id="b", bash_command="x")
            PythonOperator(task_id="p", python_callable=noop, retries=0, pool="other")
        tasks = self.tasks(d)
        self.assertEqual((tasks["b"]["owner"], tasks["b"]["retries"], tasks["b"]["retry_delay"], tasks["b"]["depends_on_past"]),
                         ("data", 2, 60, True))
        self.assertEqual(tasks["p"]["retries"], 0)
        self.assertEqual(d.task_dict["b"].cwd, "/work")
        self.assertEqual(d.task_dict["p"].op_kwargs, {"from": "default"})
        self.assertEqual(self.raw(d)["warnings"], [
            "DAG 'da': default_args on_failure_callback=notify is accepted and ignored (callbacks are not run yet)",
            "DAG 'da': default_args email=['a@x'] is accepted and ignored (no email is sent)",
            "DAG 'da': default_args email_on_failure=True is accepted and ignored (no email is sent)",
            "DAG 'da': default_args pool='etl' is accepted and ignored (no pools in airflow-serverless)",
            "DAG 'da': default_args retires=1 is not an argument of any of its tasks and is ignored",
            "task 'p': pool='other' is accepted and ignored (no pools in airflow-serverless)",
        ])

    def test_task_params_merge_default_args_params_under_their_own(self) -> None:
        # A DAG's default_args params go over its params (Airflow: params.update(default_args["params"]))...
        with DAG("pm", params={"a": 0, "dag_level": 1}, default_args={"params": {"a": 1, "b": 2}}) as d:
            EmptyOperator(task_id="own", params={"b": 3})
            EmptyOperator(task_id="plain", default_args={"params": {"c": 4}}, params={"d": 5})
        tasks = self.tasks(d)
        self.assertEqual(self.raw(d)["params"], {"a": 1, "dag_level": 1, "b": 2})
        # ...and a task's own default_args params sit under its params.
        self.assertEqual((tasks["own"]["params"], tasks["plain"]["params"]), ({"b": 3}, {"c": 4, "d": 5}))

    def test_ignored_task_arguments_warn_once_each(self) -> None:
        with DAG("w") as d:
            EmptyOperator(task_id="e", queue="q", priority_weight=5, sla=dt.timedelta(hours=1), max_active_tis_per_dag=1,
                          wait_for_downstream=True, executor_config={"k": 1}, email_on_failure=False)
        self.assertEqual(self.raw(d)["warnings"], [
            "task 'e': priority_weight=5 is accepted and ignored (tasks are not ordered by priority)",
            "task 'e': queue='q' is accepted and ignored (no queues in airflow-serverless)",
            "task 'e': sla=datetime.timedelta(seconds=3600) is accepted and ignored (SLAs are not checked)",
            "task 'e': max_active_tis_per_dag=1 is accepted and ignored (per-task concurrency limits are not enforced yet)",
            "task 'e': wait_for_downstream=True is accepted and ignored (not enforced yet)",
            "task 'e': executor_config={'k': 1} is accepted and ignored (tasks run on the environment's provider)",
        ])
        self.assertTrue(self.tasks(d)["e"]["depends_on_past"])  # wait_for_downstream implies it, as in Airflow

    def test_str_enum_task_id_is_its_text(self) -> None:
        with DAG("e") as d:
            EmptyOperator(task_id=TriggerRule.ONE_SUCCESS, trigger_rule=TriggerRule.ONE_SUCCESS)
        self.assertEqual(list(self.tasks(d)), ["one_success"])
        self.assertIs(type(d.tasks[0].task_id), str)

    def test_ids_are_checked_where_they_are_written(self) -> None:
        from airflow.utils.task_group import TaskGroup

        with self.assertRaisesRegex(ValueError, "dag_id 'my dag' may contain only letters, digits, '_', '.' and '-'"):
            DAG("my dag")
        with DAG("ok"):
            with self.assertRaisesRegex(ValueError, "task_id 'a/b' may contain only"):
                EmptyOperator(task_id="a/b")
            with self.assertRaisesRegex(ValueError, "task_id 'xxxxxxxxxx.*' is 251 characters; the limit is 250"):
                EmptyOperator(task_id="x" * 251)
            with self.assertRaisesRegex(ValueError, r"group_id 'a\.b' may contain only letters, digits, '_' and '-'"):
                TaskGroup("a.b")

    def test_ids_are_unicode_words_as_in_airflow_and_never_dot_or_dotdot(self) -> None:
        from airflow.utils.task_group import TaskGroup

        with DAG("données_quotidiennes") as d:
            EmptyOperator(task_id="étape_1")
            with TaskGroup("数据"):
                EmptyOperator(task_id="über")
        self.assertEqual(sorted(self.tasks(d)), ["étape_1", "数据.über"])
        for bad in (".", ".."):
            with self.assertRaisesRegex(ValueError, r"dag_id '\.+' is not usable: '\.' and '\.\.' name folders"):
                DAG(bad)
            with DAG("ok"):
                with self.assertRaisesRegex(ValueError, r"task_id '\.+' is not usable"):
                    EmptyOperator(task_id=bad)
        with self.assertRaisesRegex(ValueError, "may contain only"):
            DAG("trailing_newline\n")
        with self.assertRaisesRegex(ValueError, "may contain only"):
            DAG("e\u0301")  # a combining accent is not a word character

    def test_unknown_argument_is_refused_like_airflow(self) -> None:
        with DAG("u"):
            with self.assertRaisesRegex(AirflowException, r"Invalid arguments were passed to BashOperator \(task_id: b\)"):
                BashOperator(task_id="b", bash_command="x", retires=3)
            with self.assertRaisesRegex(AirflowException, "The trigger_rule must be one of .*received 'all_sucess'"):
                BashOperator(task_id="t", bash_command="x", trigger_rule="all_sucess")
            with self.assertRaisesRegex(AirflowException, "`python_callable` param must be callable"):
                PythonOperator(task_id="p", python_callable="noop")

    def test_taskflow_arguments(self) -> None:
        with DAG("tf") as d:
            @task(task_id="renamed", retries=4, multiple_outputs=True, trigger_rule="one_success")
            def produce():
                """Produces things."""
                return {}

            produce()
        t = self.tasks(d)["renamed"]
        self.assertEqual((t["retries"], t["trigger_rule"], t["doc_md"]), (4, "one_success", "Produces things."))
        self.assertTrue(d.task_dict["renamed"].multiple_outputs)


class Params(AuthoringTestCase):
    def test_values_and_schemas(self) -> None:
        d = DAG("p", params={
            "plain": 5,
            "when": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
            "typed": Param(10, type="integer", minimum=1, maximum=100, description="how many"),
            "choice": Param("a", enum=["a", "b"]),
            "nullable": Param(None, type=["null", "string"]),
            "required": Param(type="string"),
            "tags": {"x", "y"},
        })
        raw = self.raw(d)
        self.assertEqual(raw["params"], {"plain": 5, "when": "2024-01-01T00:00:00Z", "typed": 10, "choice": "a",
                                         "nullable": None, "required": None, "tags": ["x", "y"]})
        self.assertEqual(raw["params_schema"], {
            "typed": {"type": "integer", "minimum": 1, "maximum": 100, "description": "how many"},
            "choice": {"enum": ["a", "b"]},
            "nullable": {"type": ["null", "string"]},
            "required": {"type": "string"},
        })
        self.assertEqual(d.params["typed"], 10)

    def test_schema_keys_are_spelled_as_json_spells_them(self) -> None:
        raw = self.raw(DAG("k", params={"pick": Param(3, "Pick one", type=["number", "null"], enum=[1, 3, None],
                                                      values_display={1: "One", 3: "Three", None: "Clear"})}))
        self.assertEqual(raw["params_schema"]["pick"], {"type": ["number", "null"], "enum": [1, 3, None],
                                                        "values_display": {"1": "One", "3": "Three", "null": "Clear"},
                                                        "description": "Pick one"})

    def test_a_scheduled_dag_needs_valid_defaults_as_in_airflow_3(self) -> None:
        with self.assertRaisesRegex(ValueError, r"Dag 'r' is not allowed to define a Schedule, .*"
                                                r"\(Invalid input for param need: No value passed and Param has no default value\)"):
            DAG("r", schedule="@daily", params={"need": Param(type="string")})
        with self.assertRaisesRegex(ValueError, r"Invalid input for param n: 500 is greater than the maximum of 100"):
            DAG("r", schedule="@daily", params={"n": Param(500, type="integer", maximum=100)})
        # Unscheduled DAGs may leave params to the trigger, as in Airflow.
        self.assertEqual(self.raw(DAG("ok", schedule=None, params={"need": Param(type="string")}))["params"], {"need": None})
        self.assertEqual(self.raw(DAG("ok2", schedule="@daily", params={"x": Param(None, type=["null", "string"])}))["params"], {"x": None})

    def test_param_schema_checks(self) -> None:
        from airflow._core.jsonschema_lite import _check

        ok = [(3, {"type": "integer", "minimum": 1}), ("abc", {"type": "string", "minLength": 3, "pattern": "^a"}),
              ([1, 2], {"type": "array", "items": {"type": "number"}, "maxItems": 2}), (None, {"type": ["null", "string"]}),
              ({"name": "x"}, {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}),
              ("b", {"enum": ["a", "b"]}), (5, {"anyOf": [{"type": "string"}, {"type": "integer"}]}), (2.0, {"type": "integer"})]
        for value, schema in ok:
            self.assertIsNone(_check(value, schema, ""), (value, schema))
        bad = [(True, {"type": "integer"}), ("ab", {"minLength": 3}), ([1, "x"], {"items": {"type": "number"}}),
               ({}, {"required": ["name"]}), ("c", {"enum": ["a", "b"]}), (0, {"exclusiveMinimum": 0}),
               ("x", {"const": "y"}), ({"a": 1}, {"additionalProperties": False}), ([1, 1], {"uniqueItems": True})]
        for value, schema in bad:
            self.assertIsNotNone(_check(value, schema, ""), (value, schema))
        self.assertEqual(_check(500, {"maximum": 100}, ""), "500 is greater than the maximum of 100")

    def test_catchup_without_start_date_and_long_tags_are_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "start_date is required when catchup=True"):
            DAG("c", schedule="@daily", catchup=True)
        with self.assertRaisesRegex(ValueError, "tag cannot be longer than 100 characters"):
            DAG("t", tags=["x" * 101])

    def test_unserialisable_param_fails_naming_it(self) -> None:
        with self.assertRaisesRegex(DagSerializationError, r"DAG 'p' params\['f'\]: a function value cannot be serialised"):
            self.raw(DAG("p", params={"f": noop}))

    def test_dag_decorator_function_parameters_become_params(self) -> None:
        @dag(schedule=None, params={"extra": 1})
        def pipeline(src: str = "s3://in", limit=Param(5, type="integer")):
            """Pipeline docs."""
            @task
            def use(value):
                return value

            use(src)

        d = pipeline()
        raw = self.raw(d)
        self.assertEqual(raw["dag_id"], "pipeline")
        self.assertEqual(raw["params"], {"extra": 1, "src": "s3://in", "limit": 5})
        self.assertEqual(raw["params_schema"], {"limit": {"type": "integer"}})
        self.assertEqual(raw["doc_md"], "Pipeline docs.")
        ref = d.task_dict["use"].op_args[0]
        from airflow._core.xcom_arg import resolve_nested

        class Run:
            conf = {"src": "from-conf"}

        self.assertEqual(resolve_nested([ref], {"dag_run": Run(), "params": {}}), ["from-conf"])
        self.assertEqual(resolve_nested({"k": ref}, {"dag_run": None, "params": {"src": "p"}}), {"k": "p"})


class SetupTeardown(AuthoringTestCase):
    def test_as_setup_as_teardown_and_decorators(self) -> None:
        from airflow.decorators import setup, teardown

        with DAG("st") as d:
            create = BashOperator(task_id="create", bash_command="x").as_setup()
            work = EmptyOperator(task_id="work")
            delete = BashOperator(task_id="delete", bash_command="y").as_teardown(setups=create, on_failure_fail_dagrun=True)
            create >> work >> delete

            @setup
            def begin():
                pass

            @teardown(on_failure_fail_dagrun=False)
            def end():
                pass

            s = begin()
            e = end()
            s >> e
        tasks = self.tasks(d)
        self.assertEqual((tasks["create"]["is_setup"], tasks["create"]["is_teardown"]), (True, False))
        self.assertEqual((tasks["delete"]["is_teardown"], tasks["delete"]["on_failure_fail_dagrun"], tasks["delete"]["trigger_rule"]),
                         (True, True, "all_done_setup_success"))
        self.assertEqual(tasks["delete"]["upstream"], ["create", "work"])
        self.assertTrue(tasks["begin"]["is_setup"])
        self.assertEqual((tasks["end"]["is_teardown"], tasks["end"]["trigger_rule"], tasks["end"]["upstream"]),
                         (True, "all_done_setup_success", ["begin"]))

    def test_work_after_a_setup_must_keep_all_success(self) -> None:
        with DAG("v") as d:
            s = EmptyOperator(task_id="s").as_setup()
            s >> EmptyOperator(task_id="w", trigger_rule="all_done")
        with self.assertRaisesRegex(DagSerializationError, "DAG 'v': Setup tasks must be followed with trigger rule ALL_SUCCESS"):
            self.raw(d)

    def test_dag_task_decorator_binds_the_dag(self) -> None:
        d = DAG("bound")

        @d.task
        def inside():
            return 1

        inside()
        self.assertEqual(list(d.task_dict), ["inside"])

    def test_teardown_as_context_manager_wraps_the_work(self) -> None:
        with DAG("ctx") as d:
            create = EmptyOperator(task_id="create")
            delete = EmptyOperator(task_id="delete")
            with delete.as_teardown(setups=create):
                a = EmptyOperator(task_id="a")
                b = EmptyOperator(task_id="b")
                a >> b
                EmptyOperator(task_id="c")
        ups = self.upstream(d)
        self.assertEqual(ups["a"], ["create"])
        self.assertEqual(ups["c"], ["create"])
        self.assertEqual(ups["delete"], ["b", "c", "create"])
        with DAG("bad"):
            with self.assertRaisesRegex(AirflowException, "Only setup/teardown tasks"):
                with EmptyOperator(task_id="plain"):
                    pass
