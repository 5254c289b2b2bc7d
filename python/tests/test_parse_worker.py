"""The parse worker end to end: a real subprocess speaking JSON lines (python/PROTOCOL.md)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from typing import Any

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(PYTHON_DIR, "parse_worker.py")
SAMPLES = os.path.join(PYTHON_DIR, "tests", "dags")


class Worker:
    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        self.proc = subprocess.Popen(
            [sys.executable, LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env,
        )
        self.next_id = 0

    def parse(self, dags_dir: str, fileloc: str, timeout: float = 30) -> dict[str, Any]:
        self.next_id += 1
        request = {"id": self.next_id, "path": os.path.join(dags_dir, fileloc), "fileloc": fileloc,
                   "dags_dir": dags_dir, "timeout": timeout}
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        answer = json.loads(line)
        assert answer["id"] == self.next_id, answer
        return answer

    def close(self) -> str:
        assert self.proc.stdin and self.proc.stderr
        if self.proc.stdin.closed:
            return ""
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        err = self.proc.stderr.read()
        self.proc.stderr.close()
        if self.proc.stdout:
            self.proc.stdout.close()
        return err


class ParseWorkerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="parse-worker-")
        self.worker = Worker()

    def tearDown(self) -> None:
        self.stderr = self.worker.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, rel: str, text: str) -> None:
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))

    def test_several_files_one_worker_stdout_noise_and_helpers(self) -> None:
        self.write("common/__init__.py", "")
        self.write("common/names.py", "PREFIX = 'v1'\n")
        self.write("etl/multi.py", """
            import sys
            import datetime
            from airflow import DAG
            from airflow.operators.bash import BashOperator
            from common.names import PREFIX

            print("hello from the DAG file")
            sys.stdout.write("more noise\\n")
            for name in ("a", "b"):
                with DAG(f"{PREFIX}_{name}", start_date=datetime.datetime(2024, 1, 1), schedule=None):
                    BashOperator(task_id="t", bash_command="echo")
            globals()["dynamic"] = DAG("dynamic_dag", start_date=datetime.datetime(2024, 1, 1))

            if __name__ == "__main__":
                raise SystemExit("must not run")
        """)
        self.write("plain.py", """
            import pendulum
            from airflow.sdk import dag, task

            @dag(schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
            def taskflow():
                @task
                def one():
                    return 1
                one()

            taskflow()
        """)
        first = self.worker.parse(self.dir, "etl/multi.py")
        self.assertTrue(first["ok"], first)
        self.assertEqual(sorted(d["dag_id"] for d in first["dags"]), ["dynamic_dag", "v1_a", "v1_b"])
        self.assertEqual(first["modules"], ["common/__init__.py", "common/names.py"])
        second = self.worker.parse(self.dir, "plain.py")
        self.assertTrue(second["ok"], second)
        self.assertEqual([d["dag_id"] for d in second["dags"]], ["taskflow"])
        self.assertEqual(second["modules"], [])
        # What the DAG file printed went to stderr, never into the protocol.
        stderr = self.worker.close()
        self.assertIn("hello from the DAG file\nmore noise\n", stderr)

    def test_a_file_cannot_change_the_next_files_search_path(self) -> None:
        self.write("elsewhere/shadow.py", "VALUE = 'shadow'\n")
        self.write("adds_path.py", """
            import os, sys
            sys.path.insert(0, os.path.join(os.path.dirname(__file__), "elsewhere"))
            os.chdir("/")
        """)
        self.write("reads.py", """
            import os
            try:
                import shadow
                FOUND = "found"
            except ImportError:
                FOUND = "missing"
            from airflow import DAG
            dag = DAG(FOUND + "_" + ("root" if os.getcwd() == "/" else "kept"))
        """)
        self.assertTrue(self.worker.parse(self.dir, "adds_path.py")["ok"])
        self.assertEqual(self.worker.parse(self.dir, "reads.py")["dags"][0]["dag_id"], "missing_kept")

    def test_edited_helper_is_read_again(self) -> None:
        self.write("helper.py", "DAG_ID = 'before'\n")
        self.write("uses.py", """
            from airflow import DAG
            from helper import DAG_ID
            dag = DAG(DAG_ID)
        """)
        self.assertEqual(self.worker.parse(self.dir, "uses.py")["dags"][0]["dag_id"], "before")
        self.write("helper.py", "DAG_ID = 'after_'\n")  # same size, same second: no stale cache allowed
        self.assertEqual(self.worker.parse(self.dir, "uses.py")["dags"][0]["dag_id"], "after_")

    def test_import_error_names_the_file_and_line(self) -> None:
        self.write("sub/broken.py", """
            from airflow import DAG

            def helper():
                return undefined_name

            dag = DAG("broken")
            helper()
        """)
        answer = self.worker.parse(self.dir, "sub/broken.py")
        self.assertFalse(answer["ok"])
        self.assertEqual(answer["error"], "sub/broken.py:5: NameError: name 'undefined_name' is not defined")
        self.assertEqual(answer["line"], 5)
        self.assertIn("Traceback", answer["traceback"])
        # The worker survives and parses the next file.
        self.write("fine.py", "from airflow import DAG\ndag = DAG('fine')\n")
        self.assertTrue(self.worker.parse(self.dir, "fine.py")["ok"])

    def test_error_in_a_helper_points_into_the_dag_file_and_syntax_errors_at_their_line(self) -> None:
        self.write("bad_helper.py", "def f():\n    raise ValueError('nope')\n")
        self.write("calls.py", "import bad_helper\nbad_helper.f()\n")
        answer = self.worker.parse(self.dir, "calls.py")
        self.assertEqual(answer["error"], "calls.py:2: ValueError: nope")
        self.write("syntax.py", "from airflow import DAG\n\ndag = DAG('x'\n")
        answer = self.worker.parse(self.dir, "syntax.py")
        self.assertFalse(answer["ok"])
        self.assertTrue(answer["error"].startswith("syntax.py:3: SyntaxError:"), answer["error"])
        # A syntax error in a helper: the DAG file's import line, the message names the helper's line.
        self.write("broken_helper.py", "x = (\n")
        self.write("imports_it.py", "import os\nimport broken_helper\n")
        answer = self.worker.parse(self.dir, "imports_it.py")
        self.assertRegex(answer["error"], r"^imports_it\.py:2: SyntaxError: .*\(broken_helper\.py, line 1\)$")

    def test_sys_exit_in_a_dag_file_is_an_import_error_not_the_end_of_the_worker(self) -> None:
        self.write("exits.py", "import sys\n\nsys.exit(3)\n")
        self.assertEqual(self.worker.parse(self.dir, "exits.py")["error"], "exits.py:3: SystemExit: 3")
        self.write("fine.py", "from airflow import DAG\ndag = DAG('fine')\n")
        self.assertTrue(self.worker.parse(self.dir, "fine.py")["ok"])

    def test_timeout_fails_the_file_and_the_worker_goes_on(self) -> None:
        self.write("slow.py", "import time\nwhile True:\n    time.sleep(0.05)\n")
        started = time.monotonic()
        answer = self.worker.parse(self.dir, "slow.py", timeout=0.5)
        self.assertLess(time.monotonic() - started, 10)
        self.assertFalse(answer["ok"])
        self.assertEqual(answer["error"], "slow.py: DAG file import timed out after 0.5 s (core.dagbag_import_timeout)")
        self.write("fine.py", "from airflow import DAG\ndag = DAG('fine')\n")
        self.assertTrue(self.worker.parse(self.dir, "fine.py")["ok"])

    def test_unsupported_features_and_unknown_providers_fail_naming_them(self) -> None:
        self.write("s3.py", "from airflow.providers.amazon.aws.operators.s3 import S3CreateBucketOperator\n")
        answer = self.worker.parse(self.dir, "s3.py")
        self.assertRegex(answer["error"], r"^s3\.py:1: ModuleNotFoundError: airflow\.providers\.amazon\.aws\.operators\.s3 "
                                          r"\(provider package apache-airflow-providers-amazon\) is not available in airflow-serverless")
        self.write("sensor.py", """
            from airflow import DAG
            from airflow.sensors.filesystem import FileSensor
            with DAG("s"):
                FileSensor(task_id="wait", filepath="/x")
        """)
        answer = self.worker.parse(self.dir, "sensor.py")
        self.assertEqual(answer["error"], "sensor.py:5: NotYetSupported: sensors (FileSensor) is not supported yet by airflow-serverless")

    def test_a_file_without_dags_is_not_an_error_and_duplicates_are(self) -> None:
        self.write("nodag.py", "X = 1\n")
        self.assertEqual(self.worker.parse(self.dir, "nodag.py"), {"id": 1, "ok": True, "dags": [], "modules": [], "warnings": []})
        self.write("twice.py", "from airflow import DAG\na = DAG('same')\nb = DAG('same')\n")
        answer = self.worker.parse(self.dir, "twice.py")
        self.assertFalse(answer["ok"])
        self.assertEqual(answer["error"], "twice.py: DAG id 'same' is defined more than once in this file")
        self.assertIsNone(answer["line"])
        self.write("badparam.py", "from airflow import DAG\ndag = DAG('p', params={'f': print})\n")
        self.assertEqual(self.worker.parse(self.dir, "badparam.py")["error"],
                         "badparam.py: DAG 'p' params['f']: a builtin_function_or_method value cannot be serialised to JSON")

    def test_sample_dags_all_parse(self) -> None:
        files = sorted(f for f in os.listdir(SAMPLES) if f.endswith(".py"))
        self.assertGreaterEqual(len(files), 1)
        for name in files:
            answer = self.worker.parse(SAMPLES, name)
            self.assertTrue(answer["ok"], f"{name}: {answer.get('error')}")
            self.assertGreaterEqual(len(answer["dags"]), 1, name)


if __name__ == "__main__":
    unittest.main()
