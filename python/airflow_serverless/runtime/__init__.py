"""The task runner's machinery: context objects, templating, XCom, operators' execute bodies, result file.

Nothing here is imported by users directly; the `airflow` package delegates to it (python/PROTOCOL.md).
Modules import lazily what they need, because every task start pays for every import.
"""
