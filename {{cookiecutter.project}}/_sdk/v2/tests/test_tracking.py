"""The metrics train.py logs with MLflow: to the job's run on Azure ML, to mlruns.db locally, or printed without it."""

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT, run_script
from mlflow.tracking import MlflowClient
from test_train import LOSS_LINE, QUICK

import train
from data import CLASSES
from tracking import EXPERIMENT

# Where MLflow finds one of these it sends no usage data anyway: tests of train.py's own setting run without them.
CI_MARKERS = ("PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI", "JENKINS_URL", "BUILDKITE")


def metric(client, run, name):
    """A metric's logged values of a run, with the step each was logged at, in the order of the steps."""
    history = sorted(client.get_metric_history(run.info.run_id, name), key=lambda m: (m.step, m.timestamp))
    return [m.value for m in history], [m.step for m in history]


def test_loss_and_accuracy_reach_the_mlflow_run_with_their_steps(capsys, tmp_path, private_mlflow_store):
    metrics = train.train(train.parse_args(QUICK + ["--epochs", "1", "--output-dir", str(tmp_path)]))
    client = MlflowClient(f"sqlite:///{private_mlflow_store.as_posix()}")
    [run] = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id])
    assert run.info.status == "FINISHED"
    losses, steps = metric(client, run, "loss")
    assert losses == pytest.approx(metrics["losses"]) and len(losses) == 5
    assert steps == [100, 200, 300, 400, 500]  # the mini-batches trained when each loss was logged
    assert metric(client, run, "accuracy")[0] == pytest.approx([metrics["accuracy"]])
    for name, value in metrics["class_accuracy"].items():  # one metric for each class, beside accuracy
        assert metric(client, run, f"class_accuracy/{name}")[0] == pytest.approx([value])
    assert sorted(run.data.metrics) == sorted(["loss", "accuracy", *(f"class_accuracy/{c}" for c in CLASSES)])
    assert "MLflow logs this run's metrics to" not in capsys.readouterr().out  # said only of the project's mlruns.db


def test_mlflow_experiment_name_picks_the_experiment(tmp_path, private_mlflow_store, monkeypatch):
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "another-experiment")
    train.train(train.parse_args(["--synthetic", "200", "--epochs", "1", "--output-dir", str(tmp_path)]))
    client = MlflowClient(f"sqlite:///{private_mlflow_store.as_posix()}")
    [run] = client.search_runs([client.get_experiment_by_name("another-experiment").experiment_id])
    assert run.info.status == "FINISHED" and client.get_experiment_by_name(EXPERIMENT) is None


@pytest.mark.slow
def test_in_an_azure_ml_job_the_metrics_go_to_the_jobs_own_run(tmp_path, private_mlflow_store):
    client = MlflowClient(f"sqlite:///{private_mlflow_store.as_posix()}")
    job = client.create_run(client.create_experiment("the-jobs-experiment"))  # as Azure ML makes them for a job
    outputs = tmp_path / "outputs"
    result = run_script(
        "src/train.py", *QUICK, "--epochs", "1", "--output-dir", str(outputs), env={"MLFLOW_RUN_ID": job.info.run_id}
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((outputs / "metrics.json").read_text())
    assert metric(client, job, "loss") == (pytest.approx(metrics["losses"]), [100, 200, 300, 400, 500])
    assert metric(client, job, "accuracy")[0] == pytest.approx([metrics["accuracy"]])
    assert client.get_experiment_by_name(EXPERIMENT) is None  # the experiment was left as the job has it
    assert [r.info.run_id for r in client.search_runs([job.info.experiment_id])] == [job.info.run_id]
    assert "MLflow logs this run's metrics" not in result.stdout


@pytest.mark.slow
def test_local_runs_from_the_root_and_from_src_go_to_the_roots_mlruns_db_without_network(project_copy, offline):
    network, log = offline
    env = {name: value for name, value in os.environ.items() if not name.startswith("MLFLOW_")}
    env = {name: value for name, value in env.items() if name not in CI_MARKERS} | network
    store = project_copy / "mlruns.db"
    store.unlink(missing_ok=True)  # the copy of a project that has been trained locally
    printed = []
    for cwd, script in ((project_copy, "src/train.py"), (project_copy / "src", "train.py")):
        result = subprocess.run(
            [sys.executable, script, *QUICK, "--epochs", "1"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.count(f"MLflow logs this run's metrics to {store} (experiment {EXPERIMENT}).") == 1
        assert 'VS Code task "Show metrics locally"' in result.stdout
        assert "mlflow ui --backend-store-uri sqlite:///mlruns.db" in result.stdout
        printed.append([m[2] for m in LOSS_LINE.findall(result.stdout)])
    assert not log.exists(), log.read_text()
    assert not (project_copy / "src" / "mlruns.db").exists() and not (project_copy / "src" / "mlruns").exists()
    client = MlflowClient(f"sqlite:///{store.as_posix()}")
    runs = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id], order_by=["start_time"])
    assert len(runs) == 2 and all(run.info.status == "FINISHED" for run in runs)
    for run, lines in zip(runs, printed, strict=True):
        losses, steps = metric(client, run, "loss")
        assert [f"{loss:.2f}" for loss in losses] == lines and steps == [100, 200, 300, 400, 500]
        assert len(metric(client, run, "accuracy")[0]) == 1


@pytest.mark.slow
def test_trains_without_mlflow_and_says_so_once(tmp_path):
    code = (
        "import runpy, sys; sys.modules['mlflow'] = None; sys.path.insert(0, 'src'); "
        "sys.argv = ['src/train.py'] + sys.argv[1:]; runpy.run_path('src/train.py', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *QUICK, "--epochs", "1", "--output-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("mlflow is not installed: metrics go to stdout only") == 1
    assert "MLflow logs this run's metrics" not in result.stdout
    assert len(re.findall(r"^metric loss: \S+$", result.stdout, re.M)) == 5
    assert len(re.findall(r"^metric accuracy: \S+$", result.stdout, re.M)) == 1
    assert re.findall(r"^metric class_accuracy/(\w+): \S+$", result.stdout, re.M) == list(CLASSES)
    assert "Finished Training" in result.stdout
