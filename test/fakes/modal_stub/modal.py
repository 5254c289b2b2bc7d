"""A stand-in for the `modal` Python package, for tests: the parameter lists of everything the launcher
(templates/modal_app.py) calls are copied from modal-labs/modal-client (py/modal/app.py, _image.py,
volume.py, dict.py, secret.py, schedule.py), so a misspelt or unknown argument raises TypeError here as it
would in `modal deploy`. Nothing talks to Modal.

Test hooks (environment variables):
- FAKE_MODAL_DICT_FILE: a JSON file {hex(key bytes): hex(value bytes)}; Dict.get pickles the key exactly as
  Modal's `serialize` does (protocol 4) and unpickles the value, like the real client;
- FAKE_MODAL_BUSY_RELOADS: how many reloads/commits fail with Modal's "open files" error first;
- FAKE_MODAL_VOLUME_PATH: reloads/commits fail with that error while any process holds a file under this
  folder open, as Modal's do (Python's commit() reloads too).
"""

import json
import os
import pickle

events = []
layers = []
functions = {}
dict_gets = []
_busy = {"left": int(os.environ.get("FAKE_MODAL_BUSY_RELOADS", "0"))}


def _open_under(root):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        found += [t for t in targets if t.startswith(root + "/")]
    return found


def _maybe_busy(operation):
    root = os.environ.get("FAKE_MODAL_VOLUME_PATH")
    open_files = _open_under(root) if root else []
    if open_files:
        events.append(operation + ":busy")
        raise RuntimeError(f"there are open files preventing the operation: {open_files[0]}")
    if _busy["left"] > 0:
        _busy["left"] -= 1
        events.append(operation + ":busy")
        raise RuntimeError("there are open files preventing the operation: /vol/logs/x.log")


class _Volume:
    def reload(self):
        _maybe_busy("reload")
        events.append("reload")

    def commit(self):
        _maybe_busy("commit")
        events.append("commit")


class Volume:
    @staticmethod
    def from_name(name, *, environment_name=None, create_if_missing=False, version=None, create_options=None, client=None):
        return _Volume()


class _Dict:
    def get(self, key, default=None):
        dict_gets.append(key)
        path = os.environ.get("FAKE_MODAL_DICT_FILE")
        if not path or not os.path.exists(path):
            return default
        with open(path) as f:
            data = json.load(f)
        raw = data.get(pickle.dumps(key, protocol=4).hex())
        return default if raw is None else pickle.loads(bytes.fromhex(raw))


class Dict:
    @staticmethod
    def from_name(name, *, environment_name=None, create_if_missing=False, client=None):
        return _Dict()


class Secret:
    @staticmethod
    def from_name(name, *, environment_name=None, required_keys=[], client=None):
        return object()


class _Image:
    def apt_install(self, *packages, force_build=False, env=None, secrets=None, gpu=None):
        return self

    def pip_install(self, *packages, find_links=None, index_url=None, extra_index_url=None, pre=False, extra_options="", force_build=False, env=None, secrets=None, gpu=None):
        return self

    def run_commands(self, *commands, env=None, secrets=None, volumes=None, gpu=None, force_build=False):
        return self

    def add_local_file(self, local_path, remote_path, *, copy=False):
        if not copy:
            raise AssertionError("add_local_file without copy=True: later build steps could not see it")
        return self

    def add_local_dir(self, local_path, remote_path, *, copy=False, ignore=[]):
        layers.append(f"add_local_dir {os.path.basename(str(local_path))} copy={copy}")
        return self


class Image:
    @staticmethod
    def debian_slim(python_version=None, force_build=False):
        return _Image()


class Period:
    def __init__(self, *, years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0):
        self.seconds = seconds


class App:
    def __init__(self, name=None, *, tags=None, image=None, secrets=[], volumes={}, include_source=True):
        self.name = name

    def function(self, _warn_parentheses_missing=None, *, image=None, schedule=None, env=None, secrets=None, gpu=None,
                 serialized=False, network_file_systems={}, volumes={}, cpu=None, memory=None, ephemeral_disk=None,
                 min_containers=None, max_containers=None, buffer_containers=None, scaledown_window=None, proxy=None,
                 retries=None, timeout=300, startup_timeout=None, name=None, is_generator=None, cloud=None, region=None,
                 routing_region=None, nonpreemptible=False, enable_memory_snapshot=False, block_network=False,
                 restrict_modal_access=False, single_use_containers=False, i6pn=None, include_source=None,
                 experimental_options=None, _experimental_restrict_output=False, max_inputs=None):
        if scaledown_window is not None and scaledown_window <= 0:
            raise ValueError("`scaledown_window` must be > 0")
        settings = dict(schedule=schedule, max_containers=max_containers, scaledown_window=scaledown_window,
                        timeout=timeout, nonpreemptible=nonpreemptible, cpu=cpu, memory=memory)

        def register(f):
            functions[f.__name__] = settings
            return f

        return register


class _Tunnel:
    url = "https://tunnel.example"

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def forward(port, *, unencrypted=False, h2_enabled=False, client=None):
    return _Tunnel()


def current_function_call_id():
    return "fc-123"
