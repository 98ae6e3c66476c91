"""Building and submitting the training job with azure-ai-ml (a command job), or showing it (--dry-run)."""

import copy
import logging
import re
import shlex
import tempfile
from pathlib import Path

from aml import costs, login, remote_error
from aml.arguments import train_arguments
from aml.lock_files import with_locked_pip
from aml.messages import bounded, fail, report_on_github, summary
from aml.preflight import job_lock, print_snapshot, snapshot
from aml.sdk import BASE_IMAGE
from aml.settings import (
    CHECKPOINT_DATASTORE,
    CHECKPOINT_FOLDER,
    ENV_FILE,
    SOURCE_DIR,
    SUBMIT_TIMEOUT_S,
    read_config,
)

DATA_PATH = "${{inputs.data}}"  # Azure ML puts the mounted input's path here (this file is copied, not rendered)
CHECKPOINT_PATH = "${{outputs.checkpoints}}"  # and the mounted checkpoint folder's path here
RESUME_PATH = "${{inputs.resume_from}}"  # and, with --resume-from, the earlier job's checkpoint folder's
# The checkpoint folder on the datastore, its own for each job: ${{name}} is the job's name, which a restart keeps.
JOB_NAME = "${{name}}"
CHECKPOINT_URI = f"azureml://datastores/{CHECKPOINT_DATASTORE}/paths/{CHECKPOINT_FOLDER}/{JOB_NAME}/"


def training_job(args, data=None):
    """The job to submit: train.py with its flags, on the cluster, in the CPU or (--gpu) GPU environment, for at
    most --max-hours, its checkpoints on the datastore (checkpoint_output); with `data` (an Input, see
    06-run-pytorch-data.py) mounted and passed to train.py as --data-path."""
    from azure.ai.ml import command

    words = ["python", "train.py", *(["--data-path", DATA_PATH] if data is not None else [])]
    words += ["--checkpoint-dir", CHECKPOINT_PATH]
    inputs = {"data": data} if data is not None else {}
    if args.resume_from:
        inputs["resume_from"] = earlier_checkpoints(args.resume_from)
        words += ["--resume-from", RESUME_PATH]
    return command(
        code=str(SOURCE_DIR),
        command=" ".join([*words, *map(shlex.quote, train_arguments(args))]),
        **({"inputs": inputs} if inputs else {}),
        outputs={"checkpoints": checkpoint_output()},
        timeout=args.max_seconds,  # Azure ML cancels the job after this
        # set up pytorch environment
        environment=training_environment(gpu=args.gpu),
        compute=args.compute,
        experiment_name=args.experiment,
        display_name="train" if data is None else "train-mounted-data",
        distribution=distribution(args),
        instance_count=args.node_count,
    )


def earlier_checkpoints(run_id):
    """The checkpoint folder of the earlier job `run_id` on the datastore, mounted read-only where train.py runs."""
    from azure.ai.ml import Input
    from azure.ai.ml.constants import AssetTypes, InputOutputModes

    path = f"azureml://datastores/{CHECKPOINT_DATASTORE}/paths/{CHECKPOINT_FOLDER}/{run_id}/"
    return Input(type=AssetTypes.URI_FOLDER, path=path, mode=InputOutputModes.RO_MOUNT)


def checkpoint_output():
    """A read-write folder on the datastore, its own for each job, mounted where train.py runs: checkpoints there
    outlive the node, so a job that Azure ML restarts resumes from them."""
    from azure.ai.ml import Output
    from azure.ai.ml.constants import AssetTypes, InputOutputModes

    return Output(type=AssetTypes.URI_FOLDER, path=CHECKPOINT_URI, mode=InputOutputModes.RW_MOUNT)


def distribution(args):
    """Azure ML's PyTorch launcher for --node-count/--process-count-per-node, or None for one process."""
    from azure.ai.ml import PyTorchDistribution

    if args.node_count * args.process_count_per_node == 1:
        return None
    return PyTorchDistribution(process_count_per_instance=args.process_count_per_node)


def training_environment(gpu=False, env_file=ENV_FILE):
    """env_file's conda environment on BASE_IMAGE, its pip list replaced by the lock of PyTorch's CPU or (gpu) CUDA
    12.6 build: every package at the lock's version. Azure ML builds an image for it once, and again only when it
    changes."""
    from azure.ai.ml.entities import Environment

    conda = copy.deepcopy(Environment(image=BASE_IMAGE, conda_file=str(env_file)).conda_file)  # the SDK's reading
    return Environment(image=BASE_IMAGE, conda_file=with_locked_pip(conda, *job_lock(gpu)))


def submit(job, args, workspace=None, connection=None):
    """Submit and print the Studio link (--wait: stream the log), or with --dry-run show the job.

    `workspace` is the config pre-flight read; `connection` an MLClient already made (else made here)."""
    described = job_yaml(job)  # the SDK's own check of the job, offline, before any network call
    if args.dry_run:
        print("Dry run: nothing is submitted.")
        costs.print_costs(costs.planned(args.compute, costs.DRY_RUN), args.max_seconds, args.node_count)
        print("The job, as Azure ML's YAML:")
        print(described, end="")
        print_snapshot(*snapshot(SOURCE_DIR))
        return None
    client = connection or login.connect(workspace, args.timeout)
    cluster = costs.read_or_planned(lambda: read_cluster(client, args.compute), args.compute, args.timeout)
    costs.print_costs(cluster, args.max_seconds, args.node_count)
    run = bounded(
        lambda: client.jobs.create_or_update(job),
        SUBMIT_TIMEOUT_S,
        "uploading src/ and submitting the job",
        "run again",
    )
    aml_url = run.studio_url
    print(aml_url, flush=True)
    report_on_github(run.name, args.experiment, aml_url)
    remote_error.remember(run.name)
    if args.wait:
        wait_for(client, run.name, args.timeout)
    return run


def wait_for(client, name, timeout):
    """Stream the job's log until it ends; when it fails, show its Python error with local paths and stop."""
    from azure.ai.ml.exceptions import JobException

    try:
        client.jobs.stream(name)
    except JobException as err:
        status = bounded(
            lambda: client.jobs.get(name).status, timeout, f"reading the status of job {name}", "see it in Studio"
        )
        if status != "Failed":
            raise  # streaming stopped for another reason, such as Ctrl+C: the SDK's own message says what
        bring_home(client, name)
        remote_error.failed("job", name, err)


def show_logs(args, connection=None):
    """--logs: the Python error of a job (args.logs: its name, or remote_error.LAST), with src/ as local paths."""
    workspace = read_config()  # before anything else: without a workspace there is no job to ask about
    name = remote_error.run_id(args.logs)
    client = connection or login.connect(workspace, args.timeout)
    bring_home(client, name)


def bring_home(client, name):
    """Download the job's logs (SDK: into artifacts/, such as artifacts/user_logs/std_log.txt) and print its
    traceback with the lines in src/ as this folder's."""
    with tempfile.TemporaryDirectory() as folder:
        bounded(
            lambda: client.jobs.download(name, download_path=folder),
            SUBMIT_TIMEOUT_S,
            f"downloading the logs of job {name}",
            "run again when the job has ended, or open it in Azure ML Studio (Outputs + logs)",
        )
        artifacts = Path(folder, "artifacts")
        logs = {
            path.relative_to(artifacts).as_posix(): path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(artifacts.rglob("*.txt"))
            if "logs" in path.relative_to(artifacts).parts[0]
        }
    remote_error.report(logs, name)


def read_cluster(client, name):
    """The cluster `name` of the workspace as it is: VM size, most nodes, priority, idle time (one network call)."""
    cluster = client.compute.get(name)
    return costs.Cluster(
        name=name,
        vm_size=cluster.size,
        max_nodes=cluster.max_instances,
        priority=costs.priority(cluster.tier),
        idle_seconds=cluster.idle_time_before_scale_down,
        source="the cluster in the workspace",
    )


def job_yaml(job):
    """The job as the YAML that `az ml job create -f` reads, checked offline by the SDK's own loader (load_job)."""
    from azure.ai.ml import load_job

    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)  # notes on the SDK's own classes
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "job.yml")
        job._to_job().dump(path)  # the command job, not the command component it is built from
        try:
            load_job(path)
        except Exception as err:  # marshmallow's ValidationError, or the SDK's ValidationException
            fail(f"Azure ML would refuse the job: {job_problem(err)}", "fix the setting named (a flag, or the script)")
        return path.read_text(encoding="utf-8")


def job_problem(error):
    """The first field and complaint in the SDK's validation error, whose JSON nests in JSON, as one line."""
    text = str(error)
    for _ in range(3):
        text = text.replace('\\"', '"').replace("\\n", "\n")
    found = re.search(r'"(\w+)": \[\s*(?:{\s*"_schema": \[\s*)?"([^"]+)"', text)
    return f"{found.group(1)}: {found.group(2).strip()}" if found else summary(error)
