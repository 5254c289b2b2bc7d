"""Rendering template fields as Airflow does, with jinja2 and with the stand-in renderer (jinja2 hidden)."""
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from unittest import mock

from airflow_serverless.runtime import minijinja, templating
from airflow_serverless.runtime.context import build_context
from airflow_serverless.runtime.dates import FILTERS
from tests.test_runtime_context import spec

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class FakeDag:
    def __init__(self, folder, **fields):
        self.fileloc = os.path.join(folder, "dag.py")
        self.template_searchpath = None
        self.user_defined_macros = None
        self.user_defined_filters = None
        self.render_template_as_native_obj = False
        self.__dict__.update(fields)


class Op:
    def __init__(self, dag, template_fields, template_ext=(), **values):
        self.task_id = "t"
        self.dag = dag
        self.template_fields = template_fields
        self.template_ext = template_ext
        self.__dict__.update(values)



class ResolveMixin:
    pass


class FakeXComArg(ResolveMixin):
    def __init__(self, task_id):
        self.task_id = task_id

    def resolve(self, context):
        return context["ti"].xcom_pull(task_ids=self.task_id)


class Nested:
    template_fields = ("inner",)

    def __init__(self, inner):
        self.inner = inner


class RenderingCases:
    """Run once with jinja2 and once with the stand-in (see the subclasses)."""

    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        self.context = build_context(spec(self.root))

    def render(self, fields, dag=None, template_ext=(), **values):
        op = Op(dag or FakeDag(self.root), fields, template_ext, **values)
        templating.render_template_fields(op, self.context)
        return op

    def test_strings_nested_in_lists_tuples_dicts_are_rendered_keys_are_not(self):
        op = self.render(("a", "b"), a="{{ ds }}", b={"{{ k }}": ["{{ ds_nodash }}", ("{{ params.x }}", 5)]})
        self.assertEqual(op.a, "2024-01-01")
        self.assertEqual(op.b, {"{{ k }}": ["20240101", ("1", 5)]})

    def test_airflow_filters_macros_and_objects(self):
        op = self.render(("a",), a="{{ logical_date | ds_nodash }} {{ macros.ds_add(ds, 3) }} {{ dag_run.conf.k }} "
                                   "{{ ti.try_number }} {{ logical_date.year + 1 }} {{ macros.timedelta(days=1).days }}")
        self.assertEqual(op.a, "20240101 2024-01-04 v 2 2025 1")

    def test_an_undefined_name_fails_naming_it(self):
        with self.assertRaisesRegex(templating.TemplateRenderError, "rendering a: UndefinedError: 'nope' is undefined"):
            self.render(("a",), a="x {{ nope }}")
        with self.assertRaisesRegex(templating.TemplateRenderError, "has no attribute 'missing'"):
            self.render(("a",), a="{{ params.missing }}")

    def test_user_defined_macros_and_filters(self):
        dag = FakeDag(self.root, user_defined_macros={"project": "p", "twice": lambda v: v * 2},
                      user_defined_filters={"shout": lambda v: v.upper() + "!"})
        op = self.render(("a",), dag=dag, a="{{ project | shout }} {{ twice(21) }}")
        self.assertEqual(op.a, "P! 42")

    def test_template_files_from_the_dag_folder_and_template_searchpath(self):
        os.makedirs(os.path.join(self.root, "sql"))
        with open(os.path.join(self.root, "run.sh"), "w") as handle:
            handle.write("echo {{ ds }}\n")
        with open(os.path.join(self.root, "sql", "q.sql"), "w") as handle:
            handle.write("select {{ params.x }}")
        dag = FakeDag(self.root, template_searchpath="sql")
        op = self.render(("cmd", "query"), dag=dag, template_ext=(".sh", ".sql"), cmd="run.sh", query="q.sql")
        self.assertEqual((op.cmd, op.query), ("echo 2024-01-01", "select 1"))
        with self.assertRaisesRegex(templating.TemplateRenderError, "template file 'gone.sh' not found"):
            self.render(("cmd",), dag=dag, template_ext=(".sh",), cmd="gone.sh")
        self.assertEqual(self.render(("cmd",), dag=dag, template_ext=(".sh",), cmd="gone.sh ").cmd, "gone.sh ")

    def test_native_rendering_keeps_types(self):
        dag = FakeDag(self.root, render_template_as_native_obj=True)
        op = self.render(("a", "b", "c"), dag=dag, a="{{ [params.x, 2] }}", b="{{ params.x + 1 }}", c="n={{ params.x }}")
        self.assertEqual((op.a, op.b, op.c), ([1, 2], 2, "n=1"))
        self.assertEqual(self.render(("a",), a="{{ [params.x, 2] }}").a, "[1, 2]")

    def test_one_trailing_newline_is_dropped_as_jinja_does(self):
        self.assertEqual(self.render(("a",), a="echo hi\n").a, "echo hi")
        self.assertEqual(self.render(("a",), a="{{ ds }}\n\n").a, "2024-01-01\n")

    def test_xcom_args_resolve_and_nested_objects_render(self):
        self.context["ti"].xcom_push(key="return_value", value=[1, 2])
        nested = Nested("{{ ds }}")
        op = self.render(("a", "b"), a={"v": FakeXComArg("t")}, b=[nested])
        self.assertEqual(op.a, {"v": [1, 2]})
        self.assertEqual(nested.inner, "2024-01-01")

    def test_statements(self):
        op = self.render(("a",), a="{% for k, v in dag_run.conf.items() %}{{ k }}={{ v }}{% endfor %}"
                                   "{% if params.x > 0 %} pos{% else %} neg{% endif %}{% set y = params.x * 3 %} {{ y }}"
                                   "{# gone #}")
        self.assertEqual(op.a, "k=v pos 3")


@unittest.skipIf(templating._jinja2() is None, "jinja2 is not installed")
class WithJinja2Test(RenderingCases, unittest.TestCase):
    pass


class WithStandInTest(RenderingCases, unittest.TestCase):
    def setUp(self):
        super().setUp()
        patcher = mock.patch.object(templating, "_jinja2", return_value=None)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_it_really_is_the_stand_in(self):
        self.assertIsInstance(templating.make_environment(FakeDag(self.root)), minijinja.Environment)

    def test_unsupported_tags_say_so(self):
        with self.assertRaisesRegex(templating.TemplateRenderError, "'macro' tag is not supported by the stand-in"):
            self.render(("a",), a="{% macro m() %}{% endmacro %}")


CORPUS = [
    "{{ params.x + 1 }}", "{{ s ~ '!' ~ n }}", "{{ xs | sort | join(',') }}",
    "{% if n > 3 %}big{% elif n > 1 %}mid{% else %}small{% endif %}",
    "{% for x in xs %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% endfor %}",
    "{% for k, v in d.items() %}{{k}}={{v}};{% endfor %}", "  {%- if true -%}  x  {%- endif -%}  ", "{# c #}a{# d -#}  b",
    "{{ 'a' if n == 5 else 'b' }}", "{{ f(3) }} {{ f(3, b=3) }}", "{{ dt | ds }} {{ dt | ts_nodash }} {{ dt | ts_nodash_with_tz }}",
    "{{ [1, 2] + [3] }} {{ {'a': 1} }} {{ (1, 2) }}", "{{ 10 // 3 }} {{ 10 / 4 }} {{ 2 ** 10 }} {{ 7 % 3 }} {{ -n }}",
    "{{ 'x' in s }} {{ 3 not in xs }} {{ 1 < n < 10 }}", "{{ none }} {{ true }} {{ False }}",
    "{{ n is even }} {{ undefined_thing is defined }} {{ params.x is number }}", "{{ missing | default('dflt') }}",
    "{{ s[1:3] }} {{ xs[0] }} {{ xs.0 }} {{ d.get('z', 9) }}", "{% for x in xs if x > 1 %}{{x}}{% else %}none{% endfor %}",
    "{% set ns = namespace(c=0) %}{% for x in xs %}{% set ns.c = ns.c + x %}{% endfor %}{{ ns.c }}",
    "{{ xs | length }} {{ s | lower }} {{ s | replace('l', 'L') }} {{ '3' | int + 1 }} {{ xs | sum }}",
    "{% raw %}{{ keep }}{% endraw %}", "{{ range(3) | list }}", "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{{ s.upper() }}",
    "{{ 'a\\'b' }} {{ \"q\" }}", "{{ d | tojson }}", "{{ n > 3 and n < 10 }} {{ not n }}",
    "{% for x in [1,2,3] %}{% if loop.first %}{% set y = 5 %}{% endif %}[{{ y | default('u') }}]{% endfor %}{{ y | default('out') }}",
    "{% set y = 1 %}{% for x in [1] %}{% set y = 2 %}{{ y }}{% endfor %}{{ y }} {% if true %}{% set z = 3 %}{% endif %}{{ z }}",
    "{% for a in [[1,2],[3,4]] %}{% for b in a %}{{ loop.index }}{{ b }}{% endfor %}|{{ loop.index }}{% endfor %}",
    "{{ 'Hello %s' % 'x' }} {{ '%05.1f' % 3.14159 }} {{ 'abc'[1] }} {{ (1, 2)[0] }} {{ [] or 'x' }} {{ 'a' and [] }}",
    "{{ {'b': 1, 'a': 2} | dictsort }} {{ [1,2,3] | map('string') | list }} {{ 'a b' | wordcount }}",
    "{% set items = [] %}{% do items.append(1) %}{{ items }} {{ range(1, 10, 3) | list }} {{ [1,2,3] | batch(2) | list }}",
]


@unittest.skipIf(templating._jinja2() is None, "jinja2 is not installed")
class StandInMatchesJinja2Test(unittest.TestCase):
    def test_same_output_text_and_native(self):
        import jinja2
        import jinja2.nativetypes

        context = {"params": {"x": 1}, "n": 5, "s": "Hello", "xs": [3, 1, 2], "d": {"a": 1, "b": 2},
                   "dt": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), "f": lambda a, b=2: a * b, "none": None}
        # Airflow's environments: StrictUndefined and the `do` extension.
        options = {"undefined": jinja2.StrictUndefined, "extensions": ["jinja2.ext.do"]}
        pairs = [(jinja2.Environment(**options), minijinja.Environment()),
                 (jinja2.nativetypes.NativeEnvironment(**options), minijinja.Environment(native=True))]
        for real, stand_in in pairs:
            real.filters.update(FILTERS)
            stand_in.filters.update(FILTERS)
            for template in CORPUS:
                with self.subTest(template=template, native=stand_in.native):
                    expected = real.from_string(template).render(context)
                    actual = stand_in.from_string(template).render(context)
                    self.assertEqual((type(actual), actual), (type(expected), expected))

    def test_same_undefined_messages(self):
        import jinja2

        real = jinja2.Environment(undefined=jinja2.StrictUndefined)
        for template in ("{{ nope }}", "{{ d.missing }}", "{{ d['zz'] }}", "{% if nope %}x{% endif %}", "{{ nope.x }}"):
            with self.subTest(template=template):
                with self.assertRaises(jinja2.UndefinedError) as expected:
                    real.from_string(template).render(d={})
                with self.assertRaises(minijinja.UndefinedError) as actual:
                    minijinja.Environment().from_string(template).render(d={})
                self.assertEqual(str(actual.exception), str(expected.exception))


class RunnerWithoutJinja2Test(unittest.TestCase):
    def test_a_task_renders_when_jinja2_cannot_be_imported(self):
        """A fresh process where `import jinja2` fails, as on a machine without it."""
        code = textwrap.dedent("""
            import sys
            sys.modules["jinja2"] = None
            from airflow_serverless.runtime import templating
            from airflow_serverless.runtime.context import build_context
            class Op:
                template_fields = ("a",)
                template_ext = ()
                dag = None
                a = "{{ ds }} {% if params.x %}x{% endif %}"
            import tempfile
            context = build_context({"volume_root": tempfile.gettempdir(), "ti": {"dag_id": "d", "task_id": "t", "run_id": "r"},
                                     "context": {"params": {"x": 1}, "dag_run": {"logical_date": "2024-01-01T00:00:00Z"}}})
            op = Op()
            templating.render_template_fields(op, context)
            print(op.a, type(templating.make_environment(None)).__module__)
        """)
        out = subprocess.run([sys.executable, "-c", code], cwd=PYTHON_DIR, capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.strip(), "2024-01-01 x airflow_serverless.runtime.minijinja")


if __name__ == "__main__":
    unittest.main()
