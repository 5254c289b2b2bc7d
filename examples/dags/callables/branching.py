"""Callables for branching.yaml (plain Python: the same code runs unchanged as a PythonOperator callable elsewhere)."""


def choose_load(params, dag_run=None, **context):
    """Follow `full_load` when asked for (a trigger's conf wins over params), else `incremental_load`."""
    conf = dag_run.conf if dag_run is not None else {}
    mode = conf.get("mode", params.get("mode", "incremental"))
    print(f"load mode: {mode}")
    return "full_load" if mode == "full" else "incremental_load"
