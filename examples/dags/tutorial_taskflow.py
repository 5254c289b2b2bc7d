"""
### Orders ETL (TaskFlow)

Extract a day's orders, total them, and report the total. Written the way Airflow's TaskFlow tutorial
writes a pipeline: plain Python functions, `@task`, return values passed as arguments (XCom).
"""
import json

import pendulum

from airflow.sdk import Param, dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "taskflow"],
    params={"currency": Param("EUR", type="string", enum=["EUR", "USD"])},
    doc_md=__doc__,
)
def tutorial_taskflow():
    @task()
    def extract() -> dict:
        orders = '{"1001": 301.27, "1002": 433.21, "1003": 502.22}'
        return json.loads(orders)

    @task(multiple_outputs=True)
    def transform(orders: dict) -> dict:
        return {"total": round(sum(orders.values()), 2), "count": len(orders)}

    @task()
    def load(total: float, count: int, params=None) -> str:
        line = f"{count} orders, total {total:.2f} {params['currency']}"
        print(line)
        return line

    summary = transform(extract())
    load(summary["total"], summary["count"])


tutorial_taskflow()
