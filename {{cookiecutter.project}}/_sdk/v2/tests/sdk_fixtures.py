"""The SDK v2 tests' own fixtures: MLflow keeps each test's runs in a store of its own (imported by conftest.py)."""

import os
import sys

import pytest

__all__ = ["private_mlflow_store"]

# MLflow sends no usage data from the tests (train.py's own setting is tested without this).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


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
