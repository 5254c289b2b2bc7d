"""A setup and a teardown around work that fails: the teardown still runs, and the run fails for the work."""
import pendulum

from airflow.sdk import dag, setup, task, teardown


@dag(schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False, tags=["example"])
def setup_teardown():
    @setup
    def create_cluster():
        print("cluster created")
        return "cluster-1"

    @task
    def run_query(cluster: str, params=None):
        if params.get("fail"):
            raise ValueError(f"query failed on {cluster}")
        print(f"query ran on {cluster}")

    @teardown
    def delete_cluster(cluster: str):
        print(f"deleted {cluster}")

    cluster = create_cluster()
    run_query(cluster) >> delete_cluster(cluster)


setup_teardown()
