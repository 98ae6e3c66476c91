"""Shared helpers for this project's tests: paths, running the project's scripts, and a machine without network."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
sys.path[:0] = [str(SRC), str(ROOT)]

BLOCK_NETWORK = '''
import os, socket

def _refuse(*args, **kwargs):
    with open(os.environ["NETWORK_LOG"], "a") as log:
        log.write(f"network use: {args[:2]!r}\\n")
    raise OSError("network blocked by the test")

socket.getaddrinfo = _refuse
socket.create_connection = _refuse
socket.socket.connect = _refuse
'''


# The chosen SDK's own fixtures (sdk_fixtures.py): for SDK v2, a private MLflow store for every test.
from sdk_fixtures import *  # noqa: E402, F403

# Variables that name a workspace or a job summary page; tests set them only where they are the subject.
OUTSIDE_VARIABLES = ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME", "GITHUB_STEP_SUMMARY")


# In CI a test may skip only for want of a GPU (tests/skips.py): pytest finds the hook here
from skips import pytest_runtest_makereport  # noqa: E402, F401

# The user's work in this project, which no test may change: what training, submissions and downloads keep there
USER_WORK = ("outputs", "data", ".azureml", "mlruns.db", "mlruns")


def user_work():
    """Every file of the user's work in this project, with its size and modification time."""
    state = {}
    for name in USER_WORK:
        path = ROOT / name
        for file in [path] if path.is_file() else path.rglob("*") if path.is_dir() else []:
            if file.is_file():
                stat = file.stat()
                state[file.relative_to(ROOT).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return state


@pytest.fixture(autouse=True)
def users_work_is_left_alone():
    """Each test works in tmp_path or a copy: the project's outputs/, data/, .azureml/ and metrics are as they were."""
    before = user_work()
    yield
    after = user_work()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert not changed, f"the test changed the user's files in {ROOT}: {changed}"


def run_script(script, *args, cwd=ROOT, env=None, timeout=600):
    """Run one of the project's scripts with this interpreter, as a user would, and return the finished process."""
    base = {name: value for name, value in os.environ.items() if name not in OUTSIDE_VARIABLES}
    return subprocess.run(
        [sys.executable, str(Path(cwd) / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def pseudo_terminal():
    """The two ends (leader, follower) of a pseudo-terminal, as a person's terminal; the test is skipped where the
    system has none (Windows: no pty module)."""
    try:
        import pty
    except ImportError:
        pytest.skip("needs a pseudo-terminal (the pty module), which this system lacks")
    return pty.openpty()


@pytest.fixture
def offline(tmp_path):
    """Environment variables for a subprocess that cannot use the network and records every attempt in a log file."""
    hook = tmp_path / "offline"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(BLOCK_NETWORK)
    log = tmp_path / "network.log"
    env = {"PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]), "NETWORK_LOG": str(log)}
    return env, log


@pytest.fixture
def last_run(tmp_path, monkeypatch):
    """The file where a submission keeps its run's id, the test's own (not the project's .azureml/last-run.txt)."""
    from aml import remote_error

    path = tmp_path / "last-run.txt"
    monkeypatch.setattr(remote_error, "LAST_RUN_FILE", path)
    return path


@pytest.fixture
def project_copy(tmp_path, monkeypatch):
    """A copy of this project in a fresh folder with no workspace config in it or above it (the search for one stops
    at the folder that holds the copy, for this test and the scripts it runs)."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            "data", "outputs", "__pycache__", ".pytest_cache", "config.json", ".venv", ".git"
        ),
    )
    from aml.settings import CONFIG_SEARCH_STOP, find_config

    monkeypatch.setenv(CONFIG_SEARCH_STOP, str(tmp_path))
    assert find_config(copy) is None
    return copy
