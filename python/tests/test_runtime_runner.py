"""The task runner end to end: `python3 task_runner.py` processes on real DAG files (the samples in
tests/dags, written after Airflow's tutorials), run task by task in dependency order as the worker would,
plus YAML callables, failures and the result file."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(PYTHON_DIR, "task_runner.py")
SAMPLES = os.path.join(PYTHON_DIR, "tests", "dags")


def task_order(path, dag_id):
    """Task ids of `dag_id` in dependency order, read in a separate process (imports are not ours to keep)."""
    code = textwrap.dedent("""
        import json, sys
        from airflow_serverless.runtime.runner import dags_of, import_dag_file, setup_sys_path
        setup_sys_path(sys.argv[2])
        dag = next(d for d in dags_of(import_dag_file(sys.argv[1], sys.argv[2])) if d.dag_id == sys.argv[3])
        print(json.dumps({t: sorted(dag.task_dict[t].upstream_task_ids) for t in dag.task_dict}))
    """)
    out = subprocess.run([sys.executable, "-c", code, path, os.path.dirname(path), dag_id], cwd=PYTHON_DIR,
                         capture_output=True, text=True, check=True)
    upstream = json.loads(out.stdout)
    order, done = [], set()
    while len(order) < len(upstream):
        for task_id in sorted(upstream):
            if task_id not in done and all(u in done for u in upstream[task_id]):
                order.append(task_id)
                done.add(task_id)
    return order


class Volume:
    def __init__(self, test, samples=None):
        self.root = tempfile.mkdtemp()
        test.addCleanup(shutil.rmtree, self.root)
        self.dags = os.path.join(self.root, "dags")
        if samples:
            shutil.copytree(samples, self.dags)
        else:
            os.makedirs(self.dags)

    def write(self, name, text):
        with open(os.path.join(self.dags, name), "w") as handle:
            handle.write(textwrap.dedent(text))

    def run(self, task_id, dag_id="d", fileloc="d.py", conf=None, mode="dag_file", callable_=None, params=None):
        spec = {
            "mode": mode, "dags_dir": self.dags, "fileloc": fileloc, "dag_id": dag_id, "task_id": task_id,
            "volume_root": self.root,
            "ti": {"dag_id": dag_id, "task_id": task_id, "run_id": "manual__1", "map_index": -1, "try_number": 1, "max_tries": 0},
            "context": {"params": params or {}, "dag_run": {
                "dag_id": dag_id, "run_id": "manual__1", "run_type": "manual", "conf": conf or {},
                "logical_date": "2024-01-01T00:00:00Z", "data_interval_start": "2024-01-01T00:00:00Z",
                "data_interval_end": "2024-01-01T00:00:00Z", "run_after": "2024-01-01T00:00:00Z",
                "start_date": "2024-01-01T00:00:01Z"}},
        }
        if callable_ is not None:
            spec["callable"] = callable_
        work = tempfile.mkdtemp()
        try:
            with open(os.path.join(work, "in.json"), "w") as handle:
                json.dump(spec, handle)
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
            env.update(AIRFLOW_SERVERLESS_TASK_INPUT=os.path.join(work, "in.json"),
                       AIRFLOW_SERVERLESS_TASK_RESULT=os.path.join(work, "out.json"), AIRFLOW_CTX_DAG_ID=dag_id,
                       PYTHONDONTWRITEBYTECODE="1")
            proc = subprocess.run([sys.executable, LAUNCHER], env=env, cwd=work, capture_output=True, text=True, timeout=60)
            with open(os.path.join(work, "out.json")) as handle:
                result = json.load(handle)
        finally:
            shutil.rmtree(work)
        result["log"] = proc.stdout + proc.stderr
        result["exit_code"] = proc.returncode
        # The worker's part: the return value becomes the return_value XCom.
        if "return_value" in result:
            folder = os.path.join(self.root, "xcom", dag_id, "manual__1", task_id)
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "return_value.json"), "w") as handle:
                json.dump({"value": result["return_value"]["value"]}, handle)
        return result

    def xcom(self, dag_id, task_id, key="return_value"):
        path = os.path.join(self.root, "xcom", dag_id, "manual__1", task_id, key + ".json")
        with open(path) as handle:
            return json.load(handle)["value"]


@unittest.skipIf(importlib.util.find_spec("airflow.sdk") is None, "the authoring package is not there")
class SampleDagsTest(unittest.TestCase):
    def run_dag(self, fileloc, dag_id, **options):
        volume = Volume(self, SAMPLES)
        results = {}
        for task_id in task_order(os.path.join(volume.dags, fileloc), dag_id):
            results[task_id] = volume.run(task_id, dag_id=dag_id, fileloc=fileloc, **options)
        return volume, results

    def test_taskflow_tutorial(self):
        volume, results = self.run_dag("tutorial_taskflow.py", "tutorial_taskflow_api")
        self.assertEqual({r["status"] for r in results.values()}, {"success"}, results)
        self.assertEqual(volume.xcom("tutorial_taskflow_api", "transform", "total_order_value"), 1236.7)
        self.assertIn("Total order value is: 1236.70", results["load"]["log"])

    def test_xcom_passing(self):
        volume, results = self.run_dag("xcom_passing.py", "xcom_passing")
        self.assertEqual({t: r["status"] for t, r in results.items() if r["status"] != "success"}, {})
        self.assertEqual(volume.xcom("xcom_passing", "bash_push", "manually_pushed_value"), "manually_pushed_value")
        self.assertIn("The xcom pushed manually is manually_pushed_value", results["bash_pull"]["log"])
        self.assertIn("The returned_value xcom is value_by_return", results["bash_pull"]["log"])
        self.assertNotIn("return_value", results["bash_pull"])
        self.assertEqual(results["python_pull_from_bash"]["return_value"], {"value": "value_by_return"})
        self.assertEqual(results["total"]["return_value"], {"value": 5})

    def test_templating_sample(self):
        volume, results = self.run_dag("templating.py", "templating")
        self.assertEqual({r["status"] for r in results.values()}, {"success"}, results)
        self.assertEqual(results["inline"]["return_value"]["value"], "AIRFLOW-SERVERLESS! 2024-01-01+2 2024-01-02")
        self.assertEqual(results["python"]["return_value"]["value"], "20240101")


    def test_branching_sample(self):
        volume, results = self.run_dag("branching.py", "branching")
        self.assertEqual({t: r["status"] for t, r in results.items() if r["status"] != "success"}, {})
        self.assertIn(results["branching"]["follow_task_ids"], (["branch_a"], ["branch_b"]))
        self.assertEqual(len(results["decide"]["follow_task_ids"]), 1)
        self.assertNotIn("short_circuit", results["condition_is_true"])
        self.assertEqual(results["condition_is_false"]["short_circuit"], "direct_downstream")


class RunnerTest(unittest.TestCase):
    def test_a_custom_branch_operator_and_task_groups(self):
        volume = Volume(self)
        volume.write("d.py", """
            from datetime import datetime
            from airflow import DAG
            from airflow.operators.branch import BaseBranchOperator
            from airflow.operators.empty import EmptyOperator
            from airflow.utils.task_group import TaskGroup

            class Pick(BaseBranchOperator):
                def choose_branch(self, context):
                    return context["params"]["to"]

            with DAG("d", start_date=datetime(2024, 1, 1), schedule=None):
                pick = Pick(task_id="pick")
                with TaskGroup("grp") as grp:
                    EmptyOperator(task_id="inner")
                pick >> [grp, EmptyOperator(task_id="other")]
        """)
        self.assertEqual(volume.run("pick", params={"to": "grp"})["follow_task_ids"], ["grp"])
        self.assertEqual(volume.run("pick", params={"to": ["other", "grp.inner"]})["follow_task_ids"], ["other", "grp.inner"])
        result = volume.run("pick", params={"to": "nowhere"})
        self.assertEqual(result["status"], "failed")
        self.assertIn("Invalid tasks found: ['nowhere']", result["error"])

    def test_callable_mode_gets_the_same_objects(self):
        volume = Volume(self)
        volume.write("cb.py", """
            from airflow.exceptions import AirflowSkipException
            def f(x, dag_run, logical_date, params, templates_dict=None):
                return [x, dag_run.conf["c"], logical_date.year, params["p"], templates_dict]
            def skip():
                raise AirflowSkipException("not today")
            def pick(dag_run):
                return dag_run.conf["c"]
        """)
        callable_ = {"kind": "python", "file": os.path.join(volume.dags, "cb.py"), "name": "f", "op_args": [1],
                     "op_kwargs": {}, "templates_dict": {"q": "rendered"}, "do_xcom_push": True, "ignore_downstream_trigger_rules": True}
        result = volume.run("t", mode="callable", callable_=callable_, conf={"c": 2}, params={"p": 3})
        self.assertEqual(result["status"], "success", result["log"])
        self.assertEqual(result["return_value"], {"value": [1, 2, 2024, 3, {"q": "rendered"}]})
        result = volume.run("t", mode="callable", callable_=dict(callable_, name="skip", op_args=[]))
        self.assertEqual((result["status"], result["error"], result["exit_code"]), ("skipped", "AirflowSkipException: not today", 0))
        result = volume.run("t", mode="callable", callable_=dict(callable_, kind="branch_python", name="pick", op_args=[]), conf={"c": "b"})
        self.assertEqual((result["status"], result["follow_task_ids"], result["return_value"]), ("success", ["b"], {"value": "b"}))
        result = volume.run("t", mode="callable", callable_=dict(callable_, kind="short_circuit", name="pick", op_args=[]), conf={"c": ""})
        self.assertEqual((result["status"], result["short_circuit"]), ("success", "all_downstream"))
        self.assertNotIn("return_value", result)

    def test_do_xcom_push_false_and_none_push_nothing(self):
        volume = Volume(self)
        volume.write("d.py", """
            from datetime import datetime
            from airflow import DAG
            from airflow.operators.python import PythonOperator
            with DAG("d", start_date=datetime(2024, 1, 1), schedule=None):
                PythonOperator(task_id="quiet", python_callable=lambda: 1, do_xcom_push=False)
                PythonOperator(task_id="none", python_callable=lambda: None)
        """)
        self.assertNotIn("return_value", volume.run("quiet"))
        self.assertNotIn("return_value", volume.run("none"))

    def test_main_block_does_not_run_and_failures_are_one_line(self):
        volume = Volume(self)
        volume.write("d.py", """
            import logging
            from datetime import datetime
            from airflow import DAG
            from airflow.exceptions import AirflowFailException
            from airflow.operators.python import PythonOperator
            def fail():
                raise AirflowFailException("broken\\nfor good")
            def crash():
                logging.getLogger("mine").warning("about to crash")
                return {}["missing"]
            with DAG("d", start_date=datetime(2024, 1, 1), schedule=None) as dag:
                PythonOperator(task_id="fail", python_callable=fail)
                PythonOperator(task_id="crash", python_callable=crash)
            if __name__ == "__main__":
                raise SystemExit("the main block ran")
        """)
        result = volume.run("fail")
        self.assertEqual((result["status"], result["no_retry"], result["error"], result["exit_code"]),
                         ("failed", True, "AirflowFailException: broken for good", 1))
        result = volume.run("crash")
        self.assertEqual((result["status"], result["no_retry"], result["error"]), ("failed", False, "KeyError: 'missing'"))
        self.assertRegex(result["log"], r"\[\d{4}-\d\d-\d\d, [\d:]+ UTC\] \{d\.py:\d+\} WARNING - about to crash")
        self.assertIn("Traceback (most recent call last)", result["log"])

    def test_an_error_while_rendering_fails_the_try_with_a_result(self):
        volume = Volume(self)
        volume.write("d.py", """
            from datetime import datetime
            from airflow import DAG
            from airflow.operators.bash import BashOperator
            def broken(value):
                raise ValueError("macro broke")
            with DAG("d", start_date=datetime(2024, 1, 1), schedule=None, user_defined_macros={"broken": broken}):
                BashOperator(task_id="b", bash_command="echo {{ broken(ds) }}")
        """)
        result = volume.run("b")
        self.assertEqual((result["status"], result["error"], result["no_retry"]), ("failed", "ValueError: macro broke", False))

    def test_unknown_dag_or_task_and_import_errors(self):
        volume = Volume(self)
        volume.write("d.py", """
            from datetime import datetime
            from airflow import DAG
            from airflow.operators.empty import EmptyOperator
            with DAG("d", start_date=datetime(2024, 1, 1), schedule=None):
                EmptyOperator(task_id="e")
        """)
        volume.write("bad.py", "import helpers_that_do_not_exist\n")
        self.assertEqual(volume.run("e", dag_id="other")["error"], "DAG 'other' not found in d.py")
        self.assertEqual(volume.run("x")["error"], "task 'x' not found in DAG 'd' (d.py)")
        result = volume.run("x", fileloc="bad.py")
        self.assertEqual((result["status"], result["no_retry"]), ("failed", True))
        self.assertEqual(result["error"], "bad.py:1: ModuleNotFoundError: No module named 'helpers_that_do_not_exist'")


if __name__ == "__main__":
    unittest.main()
