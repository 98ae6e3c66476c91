"""Building and submitting the training run with azureml-core (a ScriptRunConfig), or describing it (--dry-run)."""

from pathlib import Path

from aml import login
from aml.arguments import train_arguments
from aml.messages import bounded, report_on_github
from aml.preflight import print_snapshot, snapshot, torch_build
from aml.settings import ENV_FILE, ROOT, SOURCE_DIR, SUBMIT_TIMEOUT_S, TIMEOUT_S, TORCH_FILES, env_name


def training_job(args, data=None):
    """The run to submit: train.py with its flags, on the cluster, in the CPU or (--gpu) GPU environment; with
    `data` (a datastore path mounted, see 06-run-pytorch-data.py) passed to train.py as --data-path."""
    from azureml.core import ScriptRunConfig

    config = ScriptRunConfig(
        source_directory=str(SOURCE_DIR),
        script="train.py",
        arguments=train_arguments(args, *(["--data-path", str(data)] if data is not None else [])),
        compute_target=args.compute,
        distributed_job_config=distribution(args),
    )
    if data is not None:
        config.run_config.data_references = {data.data_reference_name: data.to_config()}

    # set up pytorch environment
    config.run_config.environment = training_environment(gpu=args.gpu)
    return config


def training_environment(gpu=False, env_file=ENV_FILE):
    """The conda environment of env_file with the torch build of .azureml/torch-gpu.txt (gpu) or torch-cpu.txt."""
    from azureml.core import Environment

    env = Environment.from_conda_specification(name=env_name(env_file), file_path=str(env_file))
    conda = env.python.conda_dependencies
    options, pins = torch_build(gpu)
    for option in options:
        conda.set_pip_option(option)  # replaces an option of the same name, such as another --extra-index-url
    for pin in pins:
        conda.add_pip_package(pin)  # replaces the file's entry for the package
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
        describe_submission(config, args.experiment, TORCH_FILES[args.gpu])
        return None
    ws = connection or login.connect(workspace, args.timeout)
    experiment = Experiment(workspace=ws, name=args.experiment)
    run = bounded(
        lambda: experiment.submit(config), SUBMIT_TIMEOUT_S, "uploading src/ and submitting the run", "run again"
    )
    aml_url = run.get_portal_url()
    print(aml_url, flush=True)
    report_on_github(run.id, args.experiment, aml_url)
    if args.wait:
        run.wait_for_completion(show_output=True)
    return run


def default_datastore(ws, timeout=TIMEOUT_S):
    """The workspace's default datastore; without a workspace (a dry run), a stand-in with its usual name."""
    if ws is None:
        from azureml.data.azure_storage_datastore import AzureBlobDatastore

        return AzureBlobDatastore(
            workspace=None,
            name="workspaceblobstore",
            container_name="(the workspace's)",
            account_name="(the workspace's)",
        )
    return bounded(ws.get_default_datastore, timeout, "finding the default datastore", "run again")


def describe_submission(config, experiment, torch_file=TORCH_FILES[False]):
    """Print what a ScriptRunConfig would submit: script, arguments, compute, environment and snapshot."""
    env = config.run_config.environment
    files, ignore = snapshot(Path(config.source_directory))
    print(f"experiment:   {experiment}")
    print(f"script:       {config.script}  (in {config.source_directory})")
    print(f"arguments:    {' '.join(map(str, config.arguments)) or '(none)'}")
    print(f"compute:      {config.run_config.target}")
    print(
        f"environment:  {env.name}, conda specification from {ENV_FILE.relative_to(ROOT)} "
        f"with {torch_file.relative_to(ROOT)}:"
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
        print(
            f"data:         {reference.mode} {reference.data_store_name}/{reference.path_on_data_store} "
            f"(train.py gets its mount path for $AZUREML_DATAREFERENCE_{name})"
        )
    print_snapshot(files, ignore)
