"""Renders a task's `template_fields` the way Airflow does (Templater.render_template): Jinja with
StrictUndefined, Airflow's `ds`/`ts` filters, the DAG's `user_defined_macros`/`user_defined_filters`,
template files for strings ending in `template_ext` (looked up next to the DAG file and in
`template_searchpath`), native rendering for `render_template_as_native_obj`, and XComArgs resolved.

jinja2 is used when importable; otherwise the stand-in in minijinja.py, which covers the Jinja that DAG
files use. Neither is imported for a task whose fields hold no template syntax.
"""
import os

from airflow_serverless.runtime.dates import FILTERS

class TemplateRenderError(Exception):
    """A template that cannot be rendered: fails the try without retry (python/PROTOCOL.md)."""


def _jinja2():
    try:
        import jinja2  # noqa: F401
    except ImportError:
        return None
    return jinja2


def has_template_syntax(text):
    return "{{" in text or "{%" in text or "{#" in text


def _strip_one_trailing_newline(text):
    """What Jinja does to a template's text without `keep_trailing_newline`."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n") or text.endswith("\r"):
        return text[:-1]
    return text


def searchpath_of(dag):
    """The DAG file's folder, then `template_searchpath` (relative entries: from the DAG file's folder)."""
    paths = []
    fileloc = getattr(dag, "fileloc", None) if dag is not None else None
    folder = os.path.dirname(os.path.abspath(fileloc)) if fileloc else None
    if folder:
        paths.append(folder)
    extra = getattr(dag, "template_searchpath", None) if dag is not None else None
    if isinstance(extra, str):
        extra = [extra]
    for entry in extra or []:
        paths.append(os.path.join(folder, entry) if folder and not os.path.isabs(entry) else entry)
    return paths


def _jinja_environment(jinja2, searchpath, native):
    import jinja2.sandbox

    if native:
        from jinja2.nativetypes import NativeEnvironment as base
    else:
        base = jinja2.sandbox.SandboxedEnvironment

    class AirflowEnvironment(base):
        # Airflow lets templates reach `_`-prefixed members; only Python internals stay out of reach.
        def is_safe_attribute(self, obj, attr, value):
            return not jinja2.sandbox.is_internal_attribute(obj, attr)

    return AirflowEnvironment(
        loader=jinja2.FileSystemLoader(searchpath),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do"],
        cache_size=0,
    )


def make_environment(dag=None, native=None):
    """Airflow's `dag.get_template_env()`."""
    if native is None:
        native = bool(getattr(dag, "render_template_as_native_obj", False))
    searchpath = searchpath_of(dag)
    jinja2 = _jinja2()
    if jinja2 is not None:
        env = _jinja_environment(jinja2, searchpath, native)
    else:
        from airflow_serverless.runtime import minijinja

        env = minijinja.Environment(searchpath=searchpath, native=native)
    env.filters.update(FILTERS)
    env.filters.update(getattr(dag, "user_defined_filters", None) or {})
    env.globals.update(getattr(dag, "user_defined_macros", None) or {})
    return env


def is_resolvable(value):
    """An XComArg or a @dag function's param reference (the authoring package's ResolveMixin)."""
    return any(klass.__name__ == "ResolveMixin" for klass in type(value).__mro__[1:]) and hasattr(value, "resolve")


class Renderer:
    """One try's rendering: the environment is built on the first template only."""

    def __init__(self, context, dag=None, native=None, env=None):
        self.context = context
        self.dag = dag
        self.native = bool(getattr(dag, "render_template_as_native_obj", False)) if native is None else native
        self._env = env

    @property
    def env(self):
        if self._env is None:
            self._env = make_environment(self.dag, self.native)
        return self._env

    def render_string(self, text, template_ext=()):
        if template_ext and any(text.endswith(ext) for ext in template_ext):
            template = self._load(text)
        elif not self.native and not has_template_syntax(text):
            return _strip_one_trailing_newline(text)
        else:
            template = self.env.from_string(text)
        return template.render(self.context)

    def _load(self, name):
        try:
            return self.env.get_template(name)
        except Exception as error:
            if type(error).__name__ != "TemplateNotFound":
                raise
            where = ", ".join(self.env_searchpath()) or "(no folder)"
            raise TemplateRenderError("template file %r not found (looked in %s; add a trailing space to use the "
                                      "text itself)" % (name, where)) from None

    def env_searchpath(self):
        return searchpath_of(self.dag)

    def render(self, value, template_ext=(), seen=None):
        """Strings are templates; lists, tuples, sets and dict values are rendered item by item; XComArgs
        are resolved; an object with its own `template_fields` has those rendered in place."""
        if isinstance(value, str):
            return self.render_string(value, template_ext)
        if is_resolvable(value):
            return value.resolve(self.context)
        if isinstance(value, tuple):
            items = [self.render(item, template_ext, seen) for item in value]
            return type(value)(*items) if type(value) is not tuple and hasattr(value, "_fields") else tuple(items)
        if isinstance(value, list):
            return [self.render(item, template_ext, seen) for item in value]
        if isinstance(value, dict):
            return {key: self.render(item, template_ext, seen) for key, item in value.items()}
        if isinstance(value, (set, frozenset)):
            return type(value)(self.render(item, template_ext, seen) for item in value)
        fields = getattr(type(value), "template_fields", None)
        if fields and not isinstance(value, type):
            seen = set() if seen is None else seen
            if id(value) not in seen:
                seen.add(id(value))
                for name in fields:
                    setattr(value, name, self.render(getattr(value, name), getattr(value, "template_ext", ()), seen))
        return value


def renderer_for(task, context, jinja_env=None):
    return Renderer(context, getattr(task, "dag", None), env=jinja_env)


def render_template(task, content, context, jinja_env=None):
    """`BaseOperator.render_template(content, context)`: one value, with the task's `template_ext`."""
    return renderer_for(task, context, jinja_env).render(content, tuple(getattr(task, "template_ext", ()) or ()))


def render_template_fields(task, context, jinja_env=None, renderer=None):
    """Renders every name in `task.template_fields` in place (Airflow's `render_template_fields`)."""
    renderer = renderer or renderer_for(task, context, jinja_env)
    template_ext = tuple(getattr(task, "template_ext", ()) or ())
    for name in getattr(task, "template_fields", ()) or ():
        value = getattr(task, name, None)
        if value is None:
            continue
        try:
            rendered = renderer.render(value, template_ext)
        except TemplateRenderError as error:
            raise TemplateRenderError("rendering %s: %s" % (name, error)) from None
        except Exception as error:
            if is_template_error(error):
                raise TemplateRenderError("rendering %s: %s" % (name, one_line(error))) from error
            raise
        setattr(task, name, rendered)
    return renderer


def is_template_error(error):
    """Jinja's own errors (undefined names, syntax, missing filters), and the stand-in's."""
    return any(klass.__name__ in ("TemplateError", "TemplateRenderError") for klass in type(error).__mro__)


def one_line(error):
    from airflow_serverless.runtime.runner import one_line as summary

    return summary(error)
