"""Callables for xcom_pipeline.yaml."""
import json


def summarise(ti, threshold, **_context):
    """Reads the bash task's JSON line from XCom; the return value is pushed as this task's XCom."""
    counted = json.loads(ti.xcom_pull(task_ids="count_rows"))
    rows = counted["rows"]
    print(f"{counted['table']}: {rows} rows (threshold {threshold})")
    return {"table": counted["table"], "rows": rows, "doubled": rows * 2, "above_threshold": rows > threshold}
