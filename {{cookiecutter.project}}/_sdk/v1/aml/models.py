"""A training run's model with azureml-core: the run found, its files downloaded, its model registered (07)."""

from pathlib import Path

from aml import downloads
from aml.messages import bounded


def find_run(ws, run_id, experiment, timeout):
    """The run `run_id` (completed), or with run_id None the latest completed run of `experiment`; (id, Run)."""
    from azureml.core import Experiment, Run

    if run_id:
        run = bounded(
            lambda: Run.get(ws, run_id),
            timeout,
            f"finding run {run_id}",
            "check the run id (Azure ML Studio, Jobs), or leave out --run-id for the latest completed run",
        )
        downloads.check_completed(run.id, run.status)
        return run.id, run

    def latest():
        found = Experiment.list(ws, experiment_name=experiment)  # Experiment(ws, name) would make a missing one
        # newest first (the service orders by start time); top-level runs only: 04's and 06's, not their children
        return next(iter(Run.list(found[0], status=downloads.COMPLETED)), None) if found else None

    run = bounded(latest, timeout, f"finding the latest completed run of experiment {experiment}", "run again")
    if run is None:
        downloads.no_completed_run(experiment)
    return run.id, run


def fetch(ws, run, folder):
    """Download those of downloads.FILES that the run has into folder, each by its name (model.pt, ...)."""

    def download():
        names = set(run.get_file_names())  # the run's artifacts: outputs/..., logs
        for name in downloads.FILES:
            if name in names:
                run.download_file(name, output_file_path=str(Path(folder, Path(name).name)))

    bounded(download, downloads.DOWNLOAD_TIMEOUT_S, f"downloading the outputs of run {run.id}", "run again")


def register(ws, run, name, tags, timeout):
    """Register the run's outputs/model.pt (where it is: nothing is uploaded) as a new version of model `name`;
    returns (name, version)."""
    model = bounded(
        lambda: run.register_model(
            model_name=name, model_path=downloads.MODEL_FILE, tags=tags, description=downloads.description(run.id)
        ),
        timeout,
        f"registering model {name}",
        f"run again (python 07-download-model.py --run-id {run.id})",
    )
    return model.name, model.version


def registered_path(run_id):
    """Where the registered model's file is, in words, for the dry run."""
    return f"{downloads.MODEL_FILE} of run {run_id}, where it is (nothing is uploaded)"
