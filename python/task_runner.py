"""Runs one task: `python3 python/task_runner.py` (python/PROTOCOL.md, "Task runner").

Kept tiny: the work is in airflow_serverless.runtime.runner. Started as a script, so sys.path[0] is this
folder and our `airflow` package comes before anything the user's Python has installed.
"""
import os
import sys

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path[0] != here:
        sys.path.insert(0, here)
    from airflow_serverless.runtime.runner import main

    sys.exit(main())
