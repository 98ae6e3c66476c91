"""MLflow, which train.py logs its metrics with: the job's run on Azure ML, else a local store; or a stand-in."""

import logging
import os
from pathlib import Path

from paths import in_azure_ml_job, run_root

# the MLflow experiment of runs outside Azure ML jobs (MLFLOW_EXPERIMENT_NAME, MLflow's own variable, picks another)
EXPERIMENT = "{{ cookiecutter.experiment_name }}"  # noqa: E501 (a long answer)
LOCAL_STORE = "mlruns.db"  # MLflow's store of local runs, in the project root

# MLflow starts a thread that sends usage data when it is imported, unless told not to: this module imports it, so
# training talks to its tracking store alone (set MLFLOW_DISABLE_TELEMETRY=false to allow the usage data).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


class StdoutMlflow:
    """Stand-in for the mlflow module when MLflow is not installed: metrics are printed, nothing is stored."""

    announced = False

    @classmethod
    def start_run(cls):
        """Say once that metrics go to stdout only."""
        if not cls.announced:
            print(
                "mlflow is not installed: metrics go to stdout only "
                "(install the environment in .azureml/pytorch-env.yml to log them with MLflow)"
            )
            cls.announced = True

    @staticmethod
    def log_metric(key, value, step=None):
        """Print a metric, as 'metric loss: 2.19'."""
        print(f"metric {key}: {value}")

    @staticmethod
    def log_metrics(metrics, step=None):
        """Print each metric of a dict, one line each, as log_metric does."""
        for key, value in metrics.items():
            print(f"metric {key}: {value}")

    @staticmethod
    def end_run():
        """Nothing to end: no run was started."""


try:
    import mlflow
except ImportError:  # mlflow not installed: metrics go to stdout only
    mlflow = StdoutMlflow


def start_tracking():
    """Start the MLflow run train.py logs to: the job's own on Azure ML, else one in the project root's mlruns.db."""
    if mlflow is StdoutMlflow:
        return mlflow.start_run()  # MLflow is not installed: the stand-in says so, once
    local = not os.environ.get("MLFLOW_TRACKING_URI")  # Azure ML sets it in a job, and MLFLOW_RUN_ID with it
    if local:
        store = run_root() / LOCAL_STORE
        mlflow.set_tracking_uri(f"sqlite:///{store.as_posix()}")
        for name in ("mlflow", "alembic"):  # their notes on making the store: the line below says where it is
            logging.getLogger(name).setLevel(logging.WARNING)
    experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME") or EXPERIMENT
    if not os.environ.get("MLFLOW_RUN_ID"):  # in a job, start_run() takes up the job's run, in the job's experiment
        mlflow.set_experiment(experiment)
    if mlflow.active_run():  # left by an earlier train() in this process that stopped with an error
        mlflow.end_run("FAILED")
    run = mlflow.start_run()
    if local:
        print(
            f"MLflow logs this run's metrics to {store} (experiment {experiment}).\n"
            'See them: VS Code task "Show metrics locally", '
            f"or run in {store.parent}: mlflow ui --backend-store-uri sqlite:///{LOCAL_STORE}"
        )
    return run


def show_metrics():
    """The command that charts this run's metrics, for the run's closing lines: mlflow ui on the local store."""
    if mlflow is StdoutMlflow or in_azure_ml_job():
        return None  # nothing stored, or the job's metrics, which Azure ML Studio charts
    here = "" if run_root().resolve() == Path.cwd().resolve() else f"in {run_root()}: "
    return (
        f'Chart the metrics: {here}mlflow ui --backend-store-uri sqlite:///{LOCAL_STORE} (or the VS Code task '
        '"Show metrics locally")'
    )
