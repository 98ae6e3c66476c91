"""A training job's model with azure-ai-ml: the job found, its files downloaded, its model registered (07)."""

import shutil
from pathlib import Path

from aml import downloads
from aml.messages import bounded

# A file of a job's default artifacts (its outputs/ and logs), as a model's path: Azure ML registers it where it is.
JOB_FILE = "azureml://jobs/{}/outputs/artifacts/paths/{}"
TRAINING = "command"  # 04's and 06's jobs; not pipelines or sweeps


def find_run(ml_client, run_id, experiment, timeout):
    """The job `run_id` (completed), or with run_id None the latest completed training job of `experiment`;
    (name, Job)."""
    if run_id:
        job = bounded(
            lambda: ml_client.jobs.get(run_id),
            timeout,
            f"finding job {run_id}",
            "check the job's name (Azure ML Studio, Jobs), or leave out --run-id for the latest completed job",
        )
        downloads.check_completed(job.name, job.status)
        return job.name, job

    def latest():
        # jobs.list() filters by neither experiment nor status: the workspace's jobs, filtered here
        jobs = [
            job
            for job in ml_client.jobs.list()
            if job is not None  # the SDK's stand-in for a job it could not read
            and job.experiment_name == experiment
            and job.type == TRAINING
            and job.status == downloads.COMPLETED
        ]
        return max(jobs, key=created, default=None)

    job = bounded(latest, timeout, f"finding the latest completed job of experiment {experiment}", "run again")
    if job is None:
        downloads.no_completed_run(experiment)
    return job.name, job


def created(job):
    """When a job was created, in seconds since 1970 (0 when the service did not say)."""
    context = job.creation_context
    return context.created_at.timestamp() if context is not None and context.created_at is not None else 0.0


def fetch(ml_client, job, folder):
    """Download those of downloads.FILES that the job has into folder, each by its name (model.pt, ...)."""
    scratch = Path(folder, "job")
    bounded(
        lambda: ml_client.jobs.download(job.name, download_path=str(scratch)),
        downloads.DOWNLOAD_TIMEOUT_S,
        f"downloading the outputs of job {job.name}",
        "run again",
    )
    for name in downloads.FILES:
        found = scratch / "artifacts" / name  # the SDK puts the job's default artifacts into artifacts/
        if found.is_file():
            found.rename(Path(folder, found.name))
    shutil.rmtree(scratch, ignore_errors=True)  # the job's logs: 04-run-pytorch.py --logs shows them


def model_entity(name, job_name, tags):
    """The model to register: the job's outputs/model.pt where it is (nothing is uploaded), a custom model."""
    from azure.ai.ml.constants import AssetTypes
    from azure.ai.ml.entities import Model

    return Model(
        name=name,
        path=registered_path(job_name),
        type=AssetTypes.CUSTOM_MODEL,
        tags=tags,
        description=downloads.description(job_name),
    )


def register(ml_client, job, name, tags, timeout):
    """Register the job's outputs/model.pt as a new version of model `name`; returns (name, version)."""
    model = model_entity(name, job.name, tags)
    made = bounded(
        lambda: ml_client.models.create_or_update(model),
        timeout,
        f"registering model {name}",
        f"run again (python 07-download-model.py --run-id {job.name})",
    )
    return made.name, made.version


def registered_path(run_id):
    """The registered model's path: the job's outputs/model.pt, as an azureml:// URI."""
    return JOB_FILE.format(run_id, downloads.MODEL_FILE)
