"""The task context the runtime builds: real objects, Airflow's XCom pull/push rules, get_current_context."""
import datetime
import os
import shutil
import tempfile
import unittest

from airflow_serverless.runtime import context as ctxmod
from airflow_serverless.runtime import xcom


def spec(volume_root, logical_date="2024-01-01T00:00:00.000Z", conf=None, task_id="t", map_index=-1):
    return {
        "volume_root": volume_root,
        "ti": {"dag_id": "d", "task_id": task_id, "run_id": "run1", "map_index": map_index, "try_number": 2, "max_tries": 3},
        "context": {
            "params": {"x": 1, "who": "conf-wins"},
            "dag_run": {"dag_id": "d", "run_id": "run1", "run_type": "manual", "conf": conf or {"k": "v"},
                        "logical_date": logical_date, "data_interval_start": logical_date,
                        "data_interval_end": "2024-01-02T00:00:00Z" if logical_date else None,
                        "run_after": "2024-01-02T00:00:00Z", "start_date": "2024-01-02T00:00:05.000Z"},
            "dag": {"dag_id": "d", "owner": "me", "tags": ["a"], "fileloc": "d.yaml", "timezone": "UTC"},
        },
    }


class ContextTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)

    def test_dates_are_aware_datetimes_and_the_strings_derive_from_them(self):
        context = ctxmod.build_context(spec(self.root))
        logical = context["logical_date"]
        self.assertIsInstance(logical, datetime.datetime)
        self.assertEqual(logical.year, 2024)
        self.assertEqual(logical.utcoffset(), datetime.timedelta(0))
        self.assertEqual(context["ds"], "2024-01-01")
        self.assertEqual(context["ds_nodash"], "20240101")
        self.assertEqual(context["ts"], "2024-01-01T00:00:00+00:00")
        self.assertEqual(context["ts_nodash"], "20240101T000000")
        self.assertEqual(context["ts_nodash_with_tz"], "20240101T000000+0000")
        self.assertEqual(context["task_instance_key_str"], "d__t__20240101")
        self.assertEqual(context["data_interval_end"].day, 2)
        self.assertEqual(context["dag_run"].start_date.second, 5)

    def test_dates_print_as_pendulum_3_prints_them(self):
        # Airflow 3 (pendulum 3): str() has a space, `ts` and isoformat() a `T`; the same with the stand-in.
        context = ctxmod.build_context(spec(self.root, logical_date="2024-01-01T00:00:00.250Z"))
        for value in (context["logical_date"], context["data_interval_start"], context["dag_run"].logical_date):
            self.assertEqual(str(value), "2024-01-01 00:00:00.250000+00:00")
            self.assertEqual(f"at {value}", "at 2024-01-01 00:00:00.250000+00:00")
        self.assertEqual(str(context["data_interval_end"]), "2024-01-02 00:00:00+00:00")
        self.assertEqual(context["ts"], "2024-01-01T00:00:00.250000+00:00")
        self.assertEqual(context["logical_date"].isoformat(), "2024-01-01T00:00:00.250000+00:00")
        self.assertEqual(repr(context["data_interval_end"]), "DateTime(2024, 1, 2, 0, 0, 0, tzinfo=Timezone('UTC'))")

    def test_airflow2_date_names_are_derived_from_the_airflow3_ones(self):
        context = ctxmod.build_context(spec(self.root))
        self.assertIs(context["execution_date"], context["logical_date"])
        self.assertEqual(context["next_execution_date"], context["data_interval_end"])
        self.assertEqual((context["next_ds"], context["next_ds_nodash"]), ("2024-01-02", "20240102"))
        self.assertEqual((context["yesterday_ds"], context["tomorrow_ds_nodash"]), ("2023-12-31", "20240102"))
        self.assertEqual(context["dag_run"].execution_date, context["logical_date"])
        self.assertEqual(context["ti"].execution_date, context["logical_date"])
        # Removed in Airflow 3 and needing the previous run, which a try here does not know: undefined.
        for name in ("prev_ds", "prev_ds_nodash", "prev_execution_date", "prev_execution_date_success"):
            self.assertNotIn(name, context)
        # Airflow 3's names for the previous successful run: there, None until a run succeeded; here, None.
        for name in ("prev_data_interval_start_success", "prev_data_interval_end_success",
                     "prev_start_date_success", "prev_end_date_success"):
            self.assertIsNone(context[name])

    def test_a_run_without_logical_date_has_no_date_keys(self):
        context = ctxmod.build_context(spec(self.root, logical_date=None))
        for name in ("logical_date", "ds", "ts", "ds_nodash", "data_interval_start", "execution_date", "next_ds"):
            self.assertNotIn(name, context)
        self.assertIsNone(context["dag_run"].logical_date)

    def test_dag_run_ti_params_and_the_rest(self):
        context = ctxmod.build_context(spec(self.root, conf={"branch": "left"}))
        self.assertEqual(context["dag_run"].conf, {"branch": "left"})
        self.assertEqual(context["dag_run"].run_type, "manual")
        self.assertTrue(context["dag_run"].external_trigger)
        self.assertEqual(context["run_id"], "run1")
        self.assertIs(context["ti"], context["task_instance"])
        self.assertEqual((context["ti"].try_number, context["ti"].max_tries, context["ti"].map_index), (2, 3, -1))
        self.assertEqual(context["params"]["who"], "conf-wins")
        self.assertIsInstance(context["params"], dict)
        self.assertEqual(context["dag"].dag_id, "d")
        self.assertEqual(context["inlets"], [])
        self.assertEqual(context["outlets"], [])
        self.assertIsNone(context["expanded_ti_count"])
        with self.assertRaises(TypeError):
            context["dag_run"]["conf"]  # Airflow's DagRun is not subscriptable either

    def test_macros(self):
        macros = ctxmod.build_context(spec(self.root))["macros"]
        self.assertEqual(macros.ds_add("2015-01-01", 5), "2015-01-06")
        self.assertEqual(macros.ds_add("2015-01-06", -5), "2015-01-01")
        self.assertEqual(macros.ds_add("2015-01-06", 0), "2015-01-06")
        self.assertEqual(macros.ds_format("2015-01-01", "%Y-%m-%d", "%m-%d-%y"), "01-01-15")
        self.assertIs(macros.datetime, datetime.datetime)
        self.assertIs(macros.timedelta, datetime.timedelta)
        for module in ("time", "uuid", "json"):
            self.assertEqual(getattr(macros, module).__name__, module)
        self.assertTrue(0 <= macros.random() < 1)  # Airflow's macros.random is random.random

    def test_var_and_conn_name_the_missing_feature(self):
        context = ctxmod.build_context(spec(self.root))
        with self.assertRaisesRegex(ctxmod.NotYetSupported, r"Variables .* not supported yet by airflow-serverless"):
            context["var"].value.get("x")
        with self.assertRaisesRegex(ctxmod.NotYetSupported, r"Connections"):
            context["conn"].my_db
        self.assertIn("not supported", repr(context["var"]))

    def test_get_current_context_inside_and_outside_a_task(self):
        with self.assertRaisesRegex(RuntimeError, "no context was found! Are you running within an Airflow task"):
            ctxmod.get_current_context()
        context = ctxmod.build_context(spec(self.root))
        with ctxmod.current_context(context):
            self.assertIs(ctxmod.get_current_context(), context)
            self.assertIs(context["ti"].get_template_context(), context)
        with self.assertRaises(RuntimeError):
            ctxmod.get_current_context()


class XComTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        self.ti = ctxmod.build_context(spec(self.root))["ti"]

    def write(self, task_id, value, key="return_value", run_id="run1", map_index=-1, logical_date=None):
        xcom.write_xcom(self.root, "d", run_id, task_id, map_index, key, value, logical_date)

    def test_push_writes_the_volume_layout_and_pull_without_task_ids_reads_this_task(self):
        self.ti.xcom_push(key="k", value={"a": (1, 2)})
        path = os.path.join(self.root, "xcom", "d", "run1", "t", "k.json")
        self.assertTrue(os.path.exists(path))
        self.assertEqual(self.ti.xcom_pull(key="k"), {"a": [1, 2]})

    def test_pull_by_id_list_key_and_default(self):
        self.write("a", 1)
        self.write("b", "two")
        self.write("a", "other", key="extra")
        self.assertEqual(self.ti.xcom_pull(task_ids="a"), 1)
        self.assertEqual(self.ti.xcom_pull("a", key="extra"), "other")
        self.assertEqual(self.ti.xcom_pull(task_ids=["b", "a", "missing"]), ["two", 1])
        self.assertIsNone(self.ti.xcom_pull(task_ids="missing"))
        self.assertEqual(self.ti.xcom_pull(task_ids="missing", default=5), 5)
        self.assertEqual(self.ti.xcom_pull(task_ids="a", key=None), 1)

    def test_a_stored_none_is_a_value(self):
        self.write("a", None)
        self.assertIsNone(self.ti.xcom_pull(task_ids="a", default="dflt"))

    def test_map_indexes_and_other_runs(self):
        self.write("m", "zero", map_index=0)
        self.assertEqual(self.ti.xcom_pull(task_ids="m", map_indexes=0), "zero")
        self.assertIsNone(self.ti.xcom_pull(task_ids="m"))
        day = lambda n: datetime.datetime(2024, 1, n, tzinfo=datetime.timezone.utc)  # noqa: E731
        self.write("a", "older", run_id="run-dec", logical_date=day(1) - datetime.timedelta(days=30))
        self.write("a", "old", run_id="run0", logical_date=day(1) - datetime.timedelta(days=1))
        self.write("a", "future", run_id="run9", logical_date=day(9))
        self.write("a", "undated", run_id="run5")
        self.assertIsNone(self.ti.xcom_pull(task_ids="a"))
        # The latest logical date at or before this run's (2024-01-01): never a later run, never undated.
        self.assertEqual(self.ti.xcom_pull(task_ids="a", include_prior_dates=True), "old")
        self.assertEqual(self.ti.xcom_pull(task_ids="a", run_id="run0"), "old")
        self.write("a", "mine", logical_date=day(1))
        self.assertEqual(self.ti.xcom_pull(task_ids="a", include_prior_dates=True), "mine")
        self.ti.xcom_push(key="stamped", value=1)
        with open(os.path.join(self.root, "xcom", "d", "run1", "t", "stamped.json")) as handle:
            self.assertEqual(__import__("json").load(handle)["logical_date"], "2024-01-01T00:00:00.000Z")

    def test_values_json_cannot_carry_are_refused(self):
        with self.assertRaisesRegex(TypeError, "cannot serialize object of type object"):
            self.ti.xcom_push(key="k", value=object())
        self.assertEqual(xcom.to_json_value({"when": datetime.date(2024, 1, 2), "s": {2, 1}, "d": datetime.timedelta(minutes=1)}),
                         {"when": "2024-01-02", "s": [1, 2], "d": 60.0})


if __name__ == "__main__":
    unittest.main()
