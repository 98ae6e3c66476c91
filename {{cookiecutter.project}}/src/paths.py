"""Where a run is: its root folder (the project locally, the job's working directory on Azure ML) and folders."""

import os
from pathlib import Path

SRC_DIR = Path(__file__).resolve().parent


def run_root():
    """The folder that holds data/: the project root locally (started there or in src/), else the working directory."""
    project = SRC_DIR.parent
    if (project / ".azureml" / "pytorch-env.yml").is_file():
        return project
    return Path.cwd()


def train_script():
    """train.py's path as a person types it here: from the working directory when it can be, with / between parts."""
    script = SRC_DIR / "train.py"
    try:
        return Path(os.path.relpath(script)).as_posix()
    except ValueError:  # on another drive (Windows)
        return script.as_posix()


def default_data_path():
    """Where CIFAR-10 goes when --data-path is not given: data/ beside src/, never inside the uploaded snapshot."""
    return str(run_root() / "data")


def default_output_dir():
    """Where the model, metrics and plot go: outputs/ beside src/ locally, ./outputs on Azure ML (kept with the run)."""
    return str(run_root() / "outputs")


def in_azure_ml_job():
    """Whether this process runs in an Azure ML job: Azure ML sets AZUREML_RUN_ID in every job, SDK v1 or v2."""
    return bool(os.environ.get("AZUREML_RUN_ID"))
