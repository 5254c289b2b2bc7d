"""`macros` in the template context and in `context["macros"]`, as Airflow's airflow.macros offers it."""
import datetime as _datetime_module
import types


def ds_add(ds, days):
    """`ds_add("2015-01-01", 5) == "2015-01-06"`; days may be negative; 0 returns ds unchanged."""
    if not days:
        return str(ds)
    value = _datetime_module.datetime.strptime(str(ds), "%Y-%m-%d") + _datetime_module.timedelta(days=days)
    return value.strftime("%Y-%m-%d")


def ds_format(ds, input_format, output_format):
    """`ds_format("2015-01-01", "%Y-%m-%d", "%m-%d-%y") == "01-01-15"`."""
    return _datetime_module.datetime.strptime(str(ds), input_format).strftime(output_format)


class Macros(types.SimpleNamespace):
    """The modules (`macros.json`, `macros.uuid`, `macros.dateutil`...) are imported on first use only:
    each costs milliseconds at every task start, and most tasks never touch them."""

    def __getattr__(self, name):
        if name in ("json", "time", "uuid"):
            module = __import__(name)
            setattr(self, name, module)
            return module
        if name == "random":
            from random import random  # Airflow's macros.random is random.random itself

            self.random = random
            return random
        if name == "dateutil":
            try:
                import dateutil
                import dateutil.parser  # noqa: F401 (the submodules templates use)
                import dateutil.relativedelta  # noqa: F401
            except ImportError:
                raise AttributeError("macros.dateutil needs the python-dateutil package, which is not installed") from None
            self.dateutil = dateutil
            return dateutil
        raise AttributeError("macros has no attribute %r" % name)


def datetime_diff_for_humans(dt, since=None):
    """Needs pendulum's diff_for_humans (the real pendulum, or a stand-in that offers it)."""
    import pendulum

    return pendulum.instance(dt).diff_for_humans(since)


def build_macros():
    return Macros(
        datetime=_datetime_module.datetime,
        timedelta=_datetime_module.timedelta,
        ds_add=ds_add,
        ds_format=ds_format,
        datetime_diff_for_humans=datetime_diff_for_humans,
    )
