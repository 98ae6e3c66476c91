"""Building and submitting the training run with azureml-core (a ScriptRunConfig), or describing it (--dry-run)."""

from pathlib import Path

from aml import costs, login, remote_error
from aml.arguments import train_arguments
from aml.messages import bounded, report_on_github
from aml.preflight import job_requirements, print_snapshot, snapshot
from aml.settings import (
    CHECKPOINT_DATASTORE,
    CHECKPOINT_FOLDER,
    ENV_FILE,
    LOCK_FILES,
    ROOT,
    SOURCE_DIR,
    SUBMIT_TIMEOUT_S,
    TIMEOUT_S,
    env_name,
    read_config,
)

RUN_ID = "{run-id}"  # azureml-core puts the run's id here in an output's path on the datastore


def training_job(args, data=None):
    """The run to submit: train.py with its flags, on the cluster, in the CPU or (--gpu) GPU environment, for at
    most --max-hours, its checkpoints on the datastore (checkpoint_mount); with `data` (a datastore path mounted,
    see 06-run-pytorch-data.py) passed to train.py as --data-path."""
    from azureml.core import ScriptRunConfig

    earlier = earlier_checkpoints(args.resume_from) if args.resume_from else None
    first = [*(["--data-path", str(data)] if data is not None else []), "--checkpoint-dir", checkpoint_mount()]
    first += ["--resume-from", str(earlier)] if earlier is not None else []
    config = ScriptRunConfig(
        source_directory=str(SOURCE_DIR),
        script="train.py",
        arguments=train_arguments(args, *first),
        compute_target=args.compute,
        distributed_job_config=distribution(args),
        max_run_duration_seconds=args.max_seconds,  # Azure ML cancels the run after this
    )
    config.run_config.data_references = {
        reference.data_reference_name: reference.to_config() for reference in (data, earlier) if reference is not None
    }

    # set up pytorch environment
    config.run_config.environment = training_environment(gpu=args.gpu)
    return config


def checkpoint_mount():
    """A read-write folder on the datastore, its own for each run ({run-id}: the run's id, which a restart keeps),
    mounted where train.py runs: checkpoints there outlive the node, so a restarted run resumes from them."""
    from azureml.data import OutputFileDatasetConfig

    destination = (CHECKPOINT_DATASTORE, f"{CHECKPOINT_FOLDER}/{RUN_ID}")  # a datastore's name is enough
    return OutputFileDatasetConfig(name="checkpoints", destination=destination).as_mount()


def earlier_checkpoints(run_id):
    """The checkpoint folder of the earlier run `run_id` on the datastore, downloaded to the node before train.py
    starts: a copy, so the earlier run's own folder is only read."""
    from azureml.data.data_reference import DataReference

    return DataReference(
        datastore=default_datastore(None),  # named: Azure ML finds the workspace's datastore of that name
        data_reference_name="resume_from",
        path_on_datastore=f"{CHECKPOINT_FOLDER}/{run_id}",
        mode="download",
    )


def training_environment(gpu=False, env_file=ENV_FILE):
    """The conda environment of env_file, its pip list replaced by the lock of PyTorch's CPU or (gpu) CUDA 12.6
    build: every package at the lock's version. Azure ML builds an image for it once, and again only when it
    changes."""
    from azureml.core import Environment

    env = Environment.from_conda_specification(name=env_name(env_file), file_path=str(env_file))
    conda = env.python.conda_dependencies
    options, pins = job_requirements(gpu)
    for ranged in list(conda.pip_packages):
        conda.remove_pip_package(ranged)
    for option in options:
        conda.set_pip_option(option)
    for pin in pins:
        conda.add_pip_package(pin)
    return env


def distribution(args):
    """Azure ML's own PyTorch launcher for --node-count/--process-count-per-node, or None for one process."""
    from azureml.core.runconfig import PyTorchConfiguration

    processes = args.node_count * args.process_count_per_node
    if processes == 1:
        return None
    return PyTorchConfiguration(
        communication_backend="Nccl" if args.gpu else "Gloo", process_count=processes, node_count=args.node_count
    )


def submit(config, args, workspace=None, connection=None):
    """Submit and print the Studio link (--wait: stream the log), or with --dry-run describe the run.

    `workspace` is the config pre-flight read; `connection` a Workspace already reached (else reached here)."""
    from azureml.core import Experiment

    if args.dry_run:
        print("Dry run: nothing is submitted.")
        costs.print_costs(costs.planned(args.compute, costs.DRY_RUN), args.max_seconds, args.node_count)
        describe_submission(config, args.experiment, LOCK_FILES[args.gpu])
        return None
    ws = connection or login.connect(workspace, args.timeout)
    cluster = costs.read_or_planned(lambda: read_cluster(ws, args.compute), args.compute, args.timeout)
    costs.print_costs(cluster, args.max_seconds, args.node_count)
    experiment = Experiment(workspace=ws, name=args.experiment)
    run = bounded(
        lambda: experiment.submit(config), SUBMIT_TIMEOUT_S, "uploading src/ and submitting the run", "run again"
    )
    aml_url = run.get_portal_url()
    print(aml_url, flush=True)
    report_on_github(run.id, args.experiment, aml_url)
    remote_error.remember(run.id)
    if args.wait:
        wait_for(run)
    return run


def wait_for(run):
    """Stream the run's log until it ends; when it fails, show its Python error with local paths and stop."""
    from azureml.exceptions import ActivityFailedException

    try:
        run.wait_for_completion(show_output=True)
    except ActivityFailedException as err:
        bring_home(run)
        remote_error.failed("run", run.id, err)


def show_logs(args, connection=None):
    """--logs: the Python error of a run (args.logs: its id, or remote_error.LAST), with src/ as local paths."""
    from azureml.core import Run

    workspace = read_config()  # before anything else: without a workspace there is no run to ask about
    run_id = remote_error.run_id(args.logs)
    ws = connection or login.connect(workspace, args.timeout)
    run = bounded(
        lambda: Run.get(ws, run_id), args.timeout, f"finding run {run_id}", "check the run id (Azure ML Studio, Jobs)"
    )
    bring_home(run)


def bring_home(run):
    """Download the run's logs ({name: text}) and print its traceback with the lines in src/ as this folder's."""
    logs = bounded(
        lambda: run.get_details_with_logs()["logFiles"],
        SUBMIT_TIMEOUT_S,
        f"downloading the logs of run {run.id}",
        "run again, or open the run in Azure ML Studio (Outputs + logs)",
    )
    remote_error.report(logs, run.id)


def read_cluster(ws, name):
    """The cluster `name` of the workspace as it is: VM size, most nodes, priority, idle time (one network call)."""
    from azureml.core.compute import ComputeTarget

    cluster = ComputeTarget(workspace=ws, name=name)
    scale = cluster.scale_settings
    return costs.Cluster(
        name=name,
        vm_size=cluster.vm_size,
        max_nodes=scale.maximum_node_count,
        priority=costs.priority(cluster.vm_priority),
        idle_seconds=scale.idle_seconds_before_scaledown,
        source="the cluster in the workspace",
    )


def default_datastore(ws, timeout=TIMEOUT_S):
    """The workspace's default datastore; without a workspace (a dry run), a stand-in with its usual name."""
    if ws is None:
        from azureml.data.azure_storage_datastore import AzureBlobDatastore

        return AzureBlobDatastore(
            workspace=None,
            name=CHECKPOINT_DATASTORE,
            container_name="(the workspace's)",
            account_name="(the workspace's)",
        )
    return bounded(ws.get_default_datastore, timeout, "finding the default datastore", "run again")


def describe_submission(config, experiment, lock_file=LOCK_FILES[False]):
    """Print what a ScriptRunConfig would submit: script, arguments, compute, environment, mounts and snapshot."""
    env = config.run_config.environment
    files, ignore = snapshot(Path(config.source_directory))
    print(f"experiment:   {experiment}")
    print(f"script:       {config.script}  (in {config.source_directory})")
    print(f"arguments:    {' '.join(str(getattr(arg, 'arg_val', arg)) for arg in config.arguments) or '(none)'}")
    print(f"compute:      {config.run_config.target}")
    print(
        f"environment:  {env.name}, conda specification from {ENV_FILE.relative_to(ROOT).as_posix()}, "
        f"its pip packages as {lock_file.relative_to(ROOT).as_posix()} pins them for Linux on x86-64:"
    )
    for line in env.python.conda_dependencies.serialize_to_string().strip().splitlines():
        print(f"    {line}")
    job = config.run_config
    if job.node_count > 1 or (job.pytorch.process_count or 1) > 1:
        print(
            f"distributed:  PyTorch, {job.node_count} node(s), {job.pytorch.process_count} process(es) in all, "
            f"backend {job.pytorch.communication_backend}"
        )
    else:
        print("distributed:  no (one process)")
    for name, reference in job.data_references.items():
        given = "mount path" if reference.mode == "mount" else "path of a downloaded copy, the folder itself only read,"
        print(
            f"data:         {reference.mode} {reference.data_store_name}/{reference.path_on_data_store} "
            f"(train.py gets its {given} for $AZUREML_DATAREFERENCE_{name})"
        )
    for output in [arg for arg in config.arguments if hasattr(arg, "arg_val")]:
        sent = output._to_output_data()  # as azureml-core sends it
        where = sent.output_location.data_path
        print(
            f"output:       {output.name}: {sent.mechanism} (read-write) {where.datastore_name}/{where.relative_path} "
            f"(train.py gets its mount path for {output.arg_val}; {RUN_ID} is the run's id)"
        )
    print_snapshot(files, ignore)
