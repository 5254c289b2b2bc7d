"""The sample DAG files (python/tests/dags, modelled on Airflow's tutorials) parse to the DAGs Airflow
would build: ids, edges, kinds, trigger rules, params and warnings."""
from __future__ import annotations

import os
import unittest
from typing import Any

from tests.test_authoring_helpers import PYTHON_DIR

from airflow_serverless.parse_worker import parse_file

SAMPLES = os.path.join(PYTHON_DIR, "tests", "dags")


def parse(name: str) -> dict[str, Any]:
    answer = parse_file(os.path.join(SAMPLES, name), name, SAMPLES, 30)
    assert answer["ok"], answer.get("error")
    return answer


def only_dag(name: str) -> dict[str, Any]:
    dags = parse(name)["dags"]
    assert len(dags) == 1, [d["dag_id"] for d in dags]
    return dags[0]


def edges(dag: dict[str, Any]) -> dict[str, list[str]]:
    return {t["task_id"]: t["upstream"] for t in dag["tasks"]}


def by_id(dag: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["task_id"]: t for t in dag["tasks"]}


class Samples(unittest.TestCase):
    def test_taskflow_tutorial(self) -> None:
        dag = only_dag("tutorial_taskflow.py")
        self.assertEqual(dag["dag_id"], "tutorial_taskflow_api")
        self.assertEqual(edges(dag), {"extract": [], "transform": ["extract"], "load": ["transform"]})
        self.assertEqual({t["args"]["kind"] for t in dag["tasks"]}, {"task"})
        self.assertIn("### TaskFlow API tutorial", dag["doc_md"])
        self.assertEqual((dag["catchup"], dag["tags"], dag["schedule"]), (False, ["example"], {"kind": "none"}))

    def test_classic_tutorial(self) -> None:
        dag = only_dag("tutorial.py")
        tasks = by_id(dag)
        self.assertEqual(edges(dag), {"print_date": [], "sleep": ["print_date"], "templated": ["print_date"]})
        self.assertEqual((tasks["sleep"]["retries"], tasks["print_date"]["retries"], tasks["print_date"]["retry_delay"]), (3, 1, 300))
        self.assertIn("#### Task Documentation", tasks["print_date"]["doc_md"])
        self.assertEqual(dag["schedule"], {"kind": "delta", "seconds": 86400})
        self.assertEqual(dag["doc_md"].strip(), "The classic tutorial shape: BashOperators, a templated command, default_args and docs.")
        self.assertEqual(dag["warnings"], ["DAG 'tutorial': default_args email=['airflow@example.com'] is accepted and ignored (no email is sent)"])

    def test_xcom_passing(self) -> None:
        dag = only_dag("xcom_passing.py")
        e = edges(dag)
        self.assertEqual(e["puller"], ["push", "push_by_returning"])
        self.assertEqual(e["bash_pull"], ["bash_push"])
        self.assertEqual(e["python_pull_from_bash"], ["bash_push"])
        self.assertEqual(e["total"], ["add_one", "add_one__1"])

    def test_branching(self) -> None:
        dag = only_dag("branching.py")
        tasks = by_id(dag)
        self.assertEqual(tasks["branching"]["args"], {"kind": "branch"})
        self.assertEqual(tasks["decide"]["args"], {"kind": "task_branch"})
        self.assertEqual(tasks["check"]["args"], {"kind": "task_short_circuit"})
        self.assertEqual(tasks["join"]["trigger_rule"], "none_failed_min_one_success")
        self.assertEqual(tasks["join"]["upstream"], [f"follow_branch_{x}" for x in "abcd"])
        self.assertEqual(tasks["branch_a"]["upstream"], ["branching"])  # through the Label
        self.assertEqual(tasks["branch_a"]["operator"], "empty")

    def test_task_groups(self) -> None:
        dag = only_dag("task_groups.py")
        e = edges(dag)
        self.assertEqual(e["section_1.task_1"], ["start"])
        self.assertEqual(e["section_2.task_1"], ["section_1.task_2", "section_1.task_3"])
        self.assertEqual(e["standalone"], ["section_2.inner_section_2.task_4", "section_2.task_1"])
        self.assertEqual(by_id(dag)["standalone"]["retries"], 2)  # the group's default_args
        # The @task_group function returns its last task, so `start >> numbers(3) >> end` binds to it.
        self.assertEqual(e["numbers.double__1"], ["numbers.double", "start"])
        self.assertEqual(e["end"], ["numbers.double__1", "standalone"])
        groups = {g["group_id"]: g for g in dag["task_groups"]}
        self.assertEqual(groups["numbers"]["tooltip"], "Doubles twice.")
        self.assertEqual(groups["section_2.inner_section_2"]["parent_group_id"], "section_2")
        self.assertEqual(set(groups), {"section_1", "section_2", "section_2.inner_section_2", "unprefixed", "numbers"})

    def test_trigger_rules(self) -> None:
        tasks = by_id(only_dag("trigger_rules.py"))
        self.assertEqual({tid: t["trigger_rule"] for tid, t in tasks.items()}, {
            "fail": "all_success", "succeed": "all_success", "all_done": "all_done", "all_success": "all_success",
            "none_skipped": "none_skipped", "one_failed": "one_failed", "one_success": "one_success"})
        self.assertEqual(tasks["fail"]["retries"], 0)

    def test_params(self) -> None:
        dag = only_dag("params_trigger.py")
        self.assertEqual(dag["params"], {"names": ["Linda", "Martha", "Thomas"], "english": True, "count": 3,
                                         "mode": "fast", "note": "plain default"})
        self.assertEqual(dag["params_schema"]["count"], {"type": "integer", "minimum": 1, "maximum": 10})
        self.assertEqual(dag["params_schema"]["names"]["description"], "Names to greet")
        self.assertNotIn("note", dag["params_schema"])
        self.assertEqual(edges(dag), {"get_names": [], "greet": ["get_names"], "echo": ["greet"]})

    def test_templating(self) -> None:
        dag = only_dag("templating.py")
        self.assertEqual(dag["schedule"], {"kind": "cron", "expression": "0 6 * * 1-5", "preset": None})
        self.assertEqual(dag["dagrun_timeout"], 1800)
        self.assertEqual(edges(dag), {"from_file": [], "inline": ["from_file"], "python": ["inline"]})

    def test_setup_teardown(self) -> None:
        dag = only_dag("setup_teardown.py")
        tasks = by_id(dag)
        self.assertEqual([tid for tid, t in tasks.items() if t["is_setup"]], ["create_cluster", "make_tmp", "root_setup"])
        self.assertEqual(sorted(tid for tid, t in tasks.items() if t["is_teardown"]), ["delete_cluster", "drop_tmp", "root_teardown"])
        self.assertTrue(tasks["delete_cluster"]["on_failure_fail_dagrun"])
        self.assertFalse(tasks["root_teardown"]["on_failure_fail_dagrun"])
        self.assertEqual(tasks["drop_tmp"]["upstream"], ["make_tmp", "use_tmp"])
        self.assertEqual(tasks["use_tmp"]["upstream"], ["make_tmp"])
        self.assertEqual({t["trigger_rule"] for t in tasks.values() if t["is_teardown"]}, {"all_done_setup_success"})

    def test_custom_operator_from_a_helper_package(self) -> None:
        answer = parse("custom_operator.py")
        self.assertEqual(answer["modules"], ["common/__init__.py", "common/operators.py"])
        dag = answer["dags"][0]
        tasks = by_id(dag)
        self.assertEqual((tasks["greet"]["operator_class"], tasks["greet"]["args"]), ("common.operators.GreetOperator", {"kind": "custom"}))
        self.assertEqual(edges(dag), {"greet": [], "shout": ["greet"], "done": ["shout"]})
        self.assertEqual(tasks["greet"]["retries"], 1)

    def test_dynamic_dags_from_one_file(self) -> None:
        dags = {d["dag_id"]: d for d in parse("dynamic_dags.py")["dags"]}
        self.assertEqual(sorted(dags), ["dynamic_customers", "dynamic_inventory"])
        self.assertEqual(edges(dags["dynamic_customers"]),
                         {"extract_accounts": [], "extract_orders": [], "done": ["extract_accounts", "extract_orders"]})
        self.assertEqual(dags["dynamic_inventory"]["schedule"], {"kind": "cron", "expression": "0 3 * * *", "preset": None})
        self.assertEqual(dags["dynamic_customers"]["owners"], ["customers"])

    def test_airflow2_style(self) -> None:
        dag = only_dag("airflow2_style.py")
        self.assertEqual(edges(dag), {"start": [], "bash": ["start"], "hello": ["start"], "end": ["bash", "hello"]})
        self.assertEqual((dag["max_active_tasks"], dag["max_active_runs"], dag["catchup"]), (4, 1, False))
        self.assertIsNotNone(dag["start_date"])  # from default_args, as Airflow 2 reads it
        self.assertEqual(by_id(dag)["start"]["operator"], "empty")
        self.assertEqual(dag["owners"], ["airflow"])
        self.assertEqual(len(dag["warnings"]), 3)


if __name__ == "__main__":
    unittest.main()
