"""Callables for branching.yaml."""


def choose_load(params, dag_run=None, **_context):
    """Follow `full_load` when asked for (conf wins over params), else `incremental_load`."""
    conf = (dag_run or {}).get("conf") or {}
    mode = conf.get("mode", params.get("mode", "incremental"))
    print(f"load mode: {mode}")
    return "full_load" if mode == "full" else "incremental_load"
