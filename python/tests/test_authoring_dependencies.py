"""Dependencies in every form Airflow accepts, task groups, labels and XComArg passing."""
from __future__ import annotations

import datetime as dt

from tests.test_authoring_helpers import AuthoringTestCase

from airflow import DAG
from airflow.decorators import task, task_group
from airflow.exceptions import AirflowException, DuplicateTaskIdFound
from airflow.models.baseoperator import chain, chain_linear, cross_downstream
from airflow.models.xcom_arg import XComArg
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from airflow.utils.edgemodifier import Label
from airflow.utils.task_group import TaskGroup

START = dt.datetime(2024, 1, 1)


def noop() -> None:
    pass


class ShiftOperators(AuthoringTestCase):
    def test_rshift_lshift_and_lists_on_either_side(self) -> None:
        with DAG("d", start_date=START) as dag:
            a, b, c, d, e = (EmptyOperator(task_id=x) for x in "abcde")
            a >> [b, c]
            [b, c] >> d
            e << d
        self.assertEqual(self.upstream(dag), {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": ["d"]})

    def test_list_lshift_and_set_methods(self) -> None:
        with DAG("d", start_date=START) as dag:
            a, b, c = (EmptyOperator(task_id=x) for x in "abc")
            [a, b] << c
            a.set_downstream(b)
            c.set_upstream([])
        self.assertEqual(self.upstream(dag), {"c": [], "a": ["c"], "b": ["a", "c"]})

    def test_chain_pairs_equal_lists_and_refuses_unequal(self) -> None:
        with DAG("d", start_date=START) as dag:
            a, b1, b2, c1, c2, d = (EmptyOperator(task_id=x) for x in ("a", "b1", "b2", "c1", "c2", "d"))
            chain(a, [b1, b2], [c1, c2], d)
        self.assertEqual(self.upstream(dag), {"a": [], "b1": ["a"], "b2": ["a"], "c1": ["b1"], "c2": ["b2"], "d": ["c1", "c2"]})
        with DAG("e", start_date=START):
            x, y, z = (EmptyOperator(task_id=i) for i in "xyz")
            with self.assertRaises(AirflowException):
                chain([x, y], [z])

    def test_chain_linear_and_cross_downstream_link_every_pair(self) -> None:
        with DAG("d", start_date=START) as dag:
            a, b, c, d = (EmptyOperator(task_id=x) for x in "abcd")
            chain_linear([a, b], [c, d])
        self.assertEqual(self.upstream(dag)["c"], ["a", "b"])
        self.assertEqual(self.upstream(dag)["d"], ["a", "b"])
        with DAG("e", start_date=START) as dag2:
            a, b, c, d = (EmptyOperator(task_id=x) for x in "abcd")
            cross_downstream([a, b], [c, d])
        self.assertEqual(self.upstream(dag2), {"a": [], "b": [], "c": ["a", "b"], "d": ["a", "b"]})

    def test_labels_are_transparent_edges(self) -> None:
        with DAG("d", start_date=START) as dag:
            a, b, c = (EmptyOperator(task_id=x) for x in "abc")
            a >> Label("why") >> b
            [a, b] >> Label("both") >> c
            a.set_downstream(c, edge_modifier=Label("direct"))
        self.assertEqual(self.upstream(dag), {"a": [], "b": ["a"], "c": ["a", "b"]})
        self.assertEqual(self.raw(dag)["warnings"], [])

    def test_task_outside_a_dag_joins_the_dag_of_its_relative(self) -> None:
        loose = EmptyOperator(task_id="loose")
        with DAG("d", start_date=START) as dag:
            a = EmptyOperator(task_id="a")
        a >> loose
        self.assertIn("loose", dag.task_dict)

    def test_assigning_dag_or_add_task_attaches_a_task(self) -> None:
        dag = DAG("d", start_date=START)
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b")
        a.dag = dag
        dag.add_task(b)
        dag.add_task(b)  # already there: nothing happens
        self.assertEqual(list(dag.task_dict), ["a", "b"])
        self.assertIs(b.dag, dag)

    def test_old_custom_operator_with_apply_defaults(self) -> None:
        from airflow.models import BaseOperator
        from airflow.utils.decorators import apply_defaults

        class Old(BaseOperator):
            template_fields = ["path"]

            @apply_defaults
            def __init__(self, path, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.path = path

            def execute(self, context):
                return self.path

        with DAG("d", start_date=START, default_args={"path": "/from/defaults", "retries": 3}) as dag:
            Old(task_id="old")
        self.assertEqual((dag.task_dict["old"].path, self.tasks(dag)["old"]["retries"]), ("/from/defaults", 3))

    def test_operators_and_hooks_have_airflow_loggers(self) -> None:
        from airflow.hooks.base import BaseHook
        from airflow.utils.log.logging_mixin import LoggingMixin

        class MyHook(BaseHook):
            pass

        class Thing(LoggingMixin):
            pass

        op = EmptyOperator(task_id="e")
        self.assertEqual(op.log.name, "airflow.task.operators.airflow._core.operators.EmptyOperator")
        self.assertEqual(MyHook().log.name, f"airflow.task.hooks.{__name__}.MyHook")
        self.assertEqual(Thing().log.name, f"{__name__}.Thing")

    def test_relatives_and_group_helpers(self) -> None:
        with DAG("d", start_date=START) as dag:
            a, b, c = (EmptyOperator(task_id=x) for x in "abc")
            a >> b >> c
            with TaskGroup("g") as g:
                inner = EmptyOperator(task_id="inner")
        self.assertEqual(a.get_flat_relative_ids(), {"b", "c"})
        self.assertEqual([t.task_id for t in c.get_flat_relatives(upstream=True)], ["a", "b"])
        self.assertEqual(b.get_direct_relatives(upstream=True), [a])
        self.assertEqual(list(g), [inner])
        self.assertIs(g.get_child_by_label("inner"), inner)

    def test_duplicate_task_id_is_refused(self) -> None:
        with DAG("d", start_date=START):
            EmptyOperator(task_id="a")
            with self.assertRaisesRegex(DuplicateTaskIdFound, "Task id 'a' has already been added"):
                EmptyOperator(task_id="a")

    def test_tasks_of_two_dags_cannot_be_linked(self) -> None:
        with DAG("one", start_date=START):
            a = EmptyOperator(task_id="a")
        with DAG("two", start_date=START):
            b = EmptyOperator(task_id="b")
        with self.assertRaisesRegex(AirflowException, "more than one DAG"):
            a >> b


class XComPassing(AuthoringTestCase):
    def test_taskflow_call_output_and_xcomarg_link_producers(self) -> None:
        with DAG("d", start_date=START) as dag:
            @task
            def extract() -> dict:
                return {"a": 1}

            @task
            def load(value, other=None):
                return value

            producer = BashOperator(task_id="bash", bash_command="echo 1")
            py = PythonOperator(task_id="py", python_callable=noop, op_kwargs={"x": producer.output})
            py2 = PythonOperator(task_id="py2", python_callable=noop, op_args=[[XComArg(py)]])
            data = extract()
            load(data["a"], other={"nested": [producer.output]})
        ups = self.upstream(dag)
        self.assertEqual(ups["py"], ["bash"])
        self.assertEqual(ups["py2"], ["py"])
        self.assertEqual(ups["load"], ["bash", "extract"])
        self.assertTrue(dag.task_dict["extract"].multiple_outputs)  # inferred from `-> dict`
        self.assertEqual(data["a"].key, "a")
        self.assertEqual(producer.output.key, "return_value")

    def test_xcomarg_assigned_to_a_template_field_later_still_links(self) -> None:
        with DAG("d", start_date=START) as dag:
            producer = BashOperator(task_id="producer", bash_command="echo 1")
            consumer = PythonOperator(task_id="consumer", python_callable=noop)
            consumer.op_kwargs = {"value": producer.output}
        self.assertEqual(self.upstream(dag)["consumer"], ["producer"])

    def test_multiple_outputs_inferred_from_mapping_annotations(self) -> None:
        import typing

        class Row(typing.TypedDict):
            a: int

        def flag(annotation: object) -> bool:
            def f():
                return {}

            f.__annotations__["return"] = annotation
            with DAG(f"d{id(annotation)}", start_date=START) as dag:
                task(f)()
            return dag.task_dict["f"].multiple_outputs

        for annotation in (dict, dict[str, int], typing.Dict[str, int], typing.Mapping[str, int], Row, "dict[str, int]"):
            self.assertTrue(flag(annotation), annotation)
        for annotation in (list, tuple[int, int], int, typing.Optional[dict], "NotAType"):
            self.assertFalse(flag(annotation), annotation)

    def test_same_task_called_twice_gets_airflow_suffixes(self) -> None:
        with DAG("d", start_date=START) as dag:
            @task
            def step(i: int) -> int:
                return i

            step(1) >> step(2) >> step(3)
            step.override(task_id="named")(4)
        self.assertEqual(list(dag.task_dict), ["step", "step__1", "step__2", "named"])
        self.assertEqual(self.upstream(dag)["step__2"], ["step__1"])

    def test_bad_call_signature_fails_at_parse_like_airflow(self) -> None:
        with DAG("d", start_date=START):
            @task
            def two(a, b, ti=None):
                return a

            with self.assertRaisesRegex(TypeError, "two\\(\\) missing a required argument: 'b'"):
                two(1)
            two(1, 2)  # `ti` is a context key: no argument needed


class TaskGroups(AuthoringTestCase):
    def test_prefixed_ids_nested_groups_and_group_edges(self) -> None:
        with DAG("d", start_date=START) as dag:
            start = EmptyOperator(task_id="start")
            with TaskGroup("extract") as extract:
                a = EmptyOperator(task_id="a")
                with TaskGroup("inner", tooltip="deep") as inner:
                    b = EmptyOperator(task_id="b")
                a >> inner
            with TaskGroup("flat", prefix_group_id=False) as flat:
                EmptyOperator(task_id="c")
                EmptyOperator(task_id="d")
            end = EmptyOperator(task_id="end")
            start >> extract >> flat >> end
        ups = self.upstream(dag)
        self.assertEqual(b.task_id, "extract.inner.b")
        self.assertEqual(ups["extract.a"], ["start"])
        self.assertEqual(ups["extract.inner.b"], ["extract.a"])
        self.assertEqual(ups["c"], ["extract.inner.b"])
        self.assertEqual(ups["end"], ["c", "d"])
        raw = self.raw(dag)
        self.assertEqual(raw["task_groups"], [
            {"group_id": "extract", "parent_group_id": None, "tooltip": None},
            {"group_id": "extract.inner", "parent_group_id": "extract", "tooltip": "deep"},
            {"group_id": "flat", "parent_group_id": None, "tooltip": None},
        ])
        self.assertEqual(self.tasks(dag)["extract.inner.b"]["task_group_id"], "extract.inner")
        self.assertIsNone(self.tasks(dag)["start"]["task_group_id"])

    def test_task_group_decorator_returns_its_task_and_suffixes_on_reuse(self) -> None:
        with DAG("d", start_date=START) as dag:
            @task
            def first() -> int:
                return 1

            @task
            def second(x: int) -> int:
                return x

            @task_group
            def process(value):
                return second(first() if value is None else value)

            @task_group(group_id="plain")
            def plain():
                EmptyOperator(task_id="x")

            end = EmptyOperator(task_id="end")
            process(None) >> end
            process(5)
            plain() >> end
        self.assertIn("process.first", dag.task_dict)
        self.assertIn("process__1.second", dag.task_dict)
        self.assertEqual(self.upstream(dag)["end"], ["plain.x", "process.second"])

    def test_group_with_explicit_dag_outside_a_dag_block_places_its_tasks(self) -> None:
        dag = DAG("d", start_date=START)
        start = EmptyOperator(task_id="start", dag=dag)
        group = TaskGroup("g", dag=dag)
        with group:
            EmptyOperator(task_id="inside")
            with TaskGroup("sub"):
                EmptyOperator(task_id="deeper")
        start >> group
        self.assertEqual(self.upstream(dag), {"start": [], "g.inside": ["start"], "g.sub.deeper": ["start"]})

    def test_chain_mixes_groups_xcomargs_and_labels(self) -> None:
        with DAG("d", start_date=START) as dag:
            @task
            def make() -> int:
                return 1

            @task_group
            def section():
                EmptyOperator(task_id="x") >> EmptyOperator(task_id="y")

            start = EmptyOperator(task_id="start")
            end = EmptyOperator(task_id="end")
            chain(start, make(), Label("then"), section(), end)
        self.assertEqual(self.upstream(dag), {"start": [], "make": ["start"], "section.x": ["make"],
                                              "section.y": ["section.x"], "end": ["section.y"]})

    def test_task_group_override_and_teardown_is_not_a_group_leaf(self) -> None:
        with DAG("d", start_date=START) as dag:
            @task_group
            def work():
                s = EmptyOperator(task_id="s").as_setup()
                w = EmptyOperator(task_id="w")
                t = EmptyOperator(task_id="t").as_teardown(setups=s)
                s >> w >> t

            g = work.override(group_id="renamed")()
            after = EmptyOperator(task_id="after")
            g >> after
        self.assertEqual(self.upstream(dag)["after"], ["renamed.w"])
        # A group of only a setup and its teardown has no leaf to continue from, as in Airflow.
        with DAG("e", start_date=START) as dag2:
            with TaskGroup("st") as st:
                s = EmptyOperator(task_id="s").as_setup()
                EmptyOperator(task_id="t").as_teardown(setups=s)
            st >> EmptyOperator(task_id="after")
        self.assertEqual(self.upstream(dag2)["after"], [])

    def test_duplicate_group_id_is_refused(self) -> None:
        with DAG("d", start_date=START):
            TaskGroup("g")
            with self.assertRaises(DuplicateTaskIdFound):
                TaskGroup("g")
            with self.assertRaisesRegex(DuplicateTaskIdFound, "Task id 'g' has already been added"):
                EmptyOperator(task_id="g")
            EmptyOperator(task_id="t")
            with self.assertRaisesRegex(DuplicateTaskIdFound, "group_id 't' has already been added"):
                TaskGroup("t")
