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
{%- if cookiecutter.sdk == "v2" %}


# MLflow sends no usage data from the tests (train.py's own setting is tested without this).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
{%- endif %}


# Variables that name a workspace or a job summary page; tests set them only where they are the subject.
OUTSIDE_VARIABLES = ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME", "GITHUB_STEP_SUMMARY")


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
def project_copy(tmp_path):
    """A copy of this project in a fresh folder with no workspace config in it or above it."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            "data", "outputs", "__pycache__", ".pytest_cache", "config.json", ".venv", ".git"
        ),
    )
    import aml_project

    if aml_project.find_config(copy) is not None:
        pytest.skip(f"a workspace config above {tmp_path} would be found: {aml_project.find_config(copy)}")
    return copy
{%- if cookiecutter.sdk == "v2" %}


@pytest.fixture(autouse=True)
def private_mlflow_store(tmp_path_factory):
    """Send the metrics of every test's runs (and of the scripts it starts) to a store of its own, not mlruns.db."""
    store = tmp_path_factory.mktemp("mlflow") / "mlruns.db"  # beside tmp_path, whose files some tests list
    with pytest.MonkeyPatch.context() as environment:  # its own: a test's monkeypatch.undo() leaves it in place
        environment.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store.as_posix()}")
        for name in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
            environment.delenv(name, raising=False)
        yield store
        if sys.modules.get("mlflow") is not None:
            sys.modules["mlflow"].end_run()  # a test that failed mid-run must not leave its run active for the next
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)  # mlflow.set_experiment() sets it, for the next test to find
{%- endif %}
