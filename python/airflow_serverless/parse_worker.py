"""The parse worker: a long-lived process that imports DAG files one at a time and answers their
DAGs as RawDag JSON (python/PROTOCOL.md "Parse worker").

stdout is the protocol channel: at start-up the real stdout is kept on a private descriptor and fd 1
is pointed at stderr, so nothing user code prints (even from C extensions or subprocesses) can break
a JSON line.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import signal
import sys
import traceback
from typing import Any, TextIO

from airflow._core import state
from airflow._core.dag import DAG
from airflow_serverless.errors import DagSerializationError
from airflow_serverless.serialize import serialize_dag


class ImportTimeout(BaseException):
    """Raised by the alarm; a BaseException so user code's `except Exception` does not swallow it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise ImportTimeout()


def _protocol_stream() -> TextIO:
    real = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(real, "w", encoding="utf-8", buffering=1)


def _under(path: str | None, folder: str) -> bool:
    return bool(path) and os.path.abspath(path).startswith(folder + os.sep)  # type: ignore[arg-type]


# Names of modules the previous files loaded from dags_dir (only modules that appeared during a
# parse can be local: everything loaded before, like airflow or the stdlib, is not).
_local_modules: set[str] = set()


def _forget_modules() -> None:
    """Drop every module loaded from dags_dir, so the next import reads edited helpers afresh."""
    for name in _local_modules:
        sys.modules.pop(name, None)
    _local_modules.clear()
    importlib.invalidate_caches()


def _ensure_on_path(dags_dir: str) -> None:
    # Right after python/ (sys.path[0]): a DAG file imports its folder's helpers as in Airflow.
    if dags_dir in sys.path:
        sys.path.remove(dags_dir)
    sys.path.insert(1, dags_dir)


def module_name(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    digest = hashlib.sha1(path.encode("utf-8")).hexdigest()
    return f"unusual_prefix_{digest}_{stem}"


def parse_file(path: str, fileloc: str, dags_dir: str, timeout: float) -> dict[str, Any]:
    """Import one DAG file and return the answer body (without `id`)."""
    path = os.path.abspath(path)
    dags_dir = os.path.abspath(dags_dir)
    _ensure_on_path(dags_dir)
    _forget_modules()
    state.reset()
    name = module_name(path)
    module: Any = None
    before = set(sys.modules)
    # Airflow parses each file in a fresh process; here one process parses many, so what a file
    # changes in the interpreter's search path and working directory must not leak into the next.
    saved_path = list(sys.path)
    saved_cwd = os.getcwd()
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            return _failure(f"{fileloc}: cannot be imported as a Python module", "", None)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        if timeout and timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            spec.loader.exec_module(module)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except ImportTimeout:
        shown = int(timeout) if float(timeout).is_integer() else timeout
        return _failure(
            f"{fileloc}: DAG file import timed out after {shown} s (core.dagbag_import_timeout)",
            traceback.format_exc(), None,
        )
    except BaseException as error:  # noqa: BLE001 - user code may raise anything, even SystemExit
        if isinstance(error, KeyboardInterrupt):
            raise
        return _describe(error, path, fileloc, dags_dir)
    finally:
        signal.signal(signal.SIGALRM, previous)
        state.dag_stack.clear()
        state.group_stack.clear()
        sys.path[:] = saved_path
        if os.getcwd() != saved_cwd:
            os.chdir(saved_cwd)
        _local_modules.add(name)
        _local_modules.update(
            n for n in set(sys.modules) - before if _under(getattr(sys.modules[n], "__file__", None), dags_dir)
        )

    try:
        dags = _collect(module)
        raw = [serialize_dag(dag) for dag in dags]
    except DagSerializationError as error:
        # Our own message already names the DAG and the field; the class name would add nothing.
        return _failure(f"{fileloc}: {' '.join(str(error).split())}", traceback.format_exc(), None)
    except (ValueError, TypeError) as error:
        return _failure(f"{fileloc}: {_one_line(error)}", traceback.format_exc(), None)
    modules = sorted(
        os.path.relpath(os.path.abspath(sys.modules[n].__file__), dags_dir)
        for n in _local_modules
        if n != name and n in sys.modules and os.path.abspath(sys.modules[n].__file__) != path
    )
    sys.modules.pop(name, None)
    state.reset()
    return {"ok": True, "dags": raw, "modules": modules, "warnings": []}


def _collect(module: Any) -> list[DAG]:
    """Module globals that are DAGs, then DAGs made in a `with DAG` block or by a @dag call during the
    import (Airflow 3 registers those even when not assigned), each once."""
    found: list[DAG] = []
    seen: set[int] = set()
    for value in list(vars(module).values()) + list(state.registered_dags):
        if isinstance(value, DAG) and id(value) not in seen:
            seen.add(id(value))
            found.append(value)
    by_id: dict[str, DAG] = {}
    for dag in found:
        if dag.dag_id in by_id:
            raise DagSerializationError(f"DAG id '{dag.dag_id}' is defined more than once in this file")
        by_id[dag.dag_id] = dag
    return found


def _one_line(error: BaseException) -> str:
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _describe(error: BaseException, path: str, fileloc: str, dags_dir: str) -> dict[str, Any]:
    """One line naming the DAG file and line (the deepest frame in the DAG file, else the deepest
    under dags_dir), with the exception; the full traceback goes alongside."""
    where: tuple[str, int] | None = None
    frames = traceback.extract_tb(error.__traceback__)
    # A SyntaxError's own place is not a frame: count it as the deepest one.
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        frames.append(traceback.FrameSummary(error.filename, error.lineno, "<module>"))
    in_file = [f for f in frames if f.filename and os.path.abspath(f.filename) == path]
    in_dir = [f for f in frames if _under(f.filename, dags_dir)]
    if in_file:
        where = (fileloc, in_file[-1].lineno or 0)
    elif in_dir:
        where = (os.path.relpath(os.path.abspath(in_dir[-1].filename), dags_dir), in_dir[-1].lineno or 0)
    prefix = f"{where[0]}:{where[1]}" if where else fileloc
    tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return _failure(f"{prefix}: {_one_line(error)}", tb, where[1] if where else None)


def _failure(message: str, tb: str, line: int | None) -> dict[str, Any]:
    return {"ok": False, "error": message, "traceback": tb, "line": line}


def handle(request: dict[str, Any]) -> dict[str, Any]:
    try:
        path = request["path"]
        dags_dir = request["dags_dir"]
    except (KeyError, TypeError):
        return _failure("bad request: 'path' and 'dags_dir' are required", "", None)
    fileloc = request.get("fileloc") or os.path.relpath(path, dags_dir)
    timeout = request.get("timeout", 30)
    try:
        return parse_file(path, fileloc, dags_dir, float(timeout or 0))
    except ImportTimeout:
        return _failure(f"{fileloc}: DAG file import timed out after {timeout} s (core.dagbag_import_timeout)", "", None)
    except Exception as error:  # a bug of ours: report it on the protocol rather than dying
        return _failure(f"{fileloc}: internal error of the parse worker: {_one_line(error)}", traceback.format_exc(), None)


def main() -> int:
    out = _protocol_stream()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except ValueError as error:
            out.write(json.dumps({"id": None, **_failure(f"bad request: {error}", "", None)}) + "\n")
            continue
        answer = handle(request)
        answer = {"id": request.get("id") if isinstance(request, dict) else None, **answer}
        try:
            text = json.dumps(answer, allow_nan=False)
        except ValueError as error:
            text = json.dumps({"id": answer["id"], **_failure(f"{request.get('fileloc')}: {error}", "", None)})
        out.write(text + "\n")
        out.flush()
    return 0
