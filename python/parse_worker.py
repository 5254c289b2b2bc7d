"""Launcher of the parse worker: `python3 python/parse_worker.py` (protocol: python/PROTOCOL.md).

sys.path[0] is this folder, so our `airflow` package wins over any installed one; the pendulum
stand-in goes LAST so a real pendulum, when installed, is used instead.
"""
import os
import sys

sys.dont_write_bytecode = True  # never litter users' dags folders with __pycache__ (and no stale .pyc)
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_fallback"))

from airflow_serverless.parse_worker import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
