"""The control scripts' flags, with their defaults from .azureml/settings.yml, and train.py's own flags."""

import argparse
import sys
from pathlib import Path

from aml import costs, names, settings
from aml.messages import fail


def submission_arguments(description, argv=None, more=None, chosen=None):
    """Read the flags 04 and 06 share: dry run, wait, compute, experiment, nodes, time limit, timeout and train.py's
    own flags; args.max_seconds is --max-hours in seconds."""
    chosen = chosen or settings.load()
    compute, experiment, timeout = chosen.compute_name, chosen.experiment_name, settings.TIMEOUT_S
    parser = argparse.ArgumentParser(description=description, epilog="example: python %(prog)s --wait -- --epochs 10")
    parser.add_argument("--dry-run", action="store_true", help="build the run offline, print it, submit nothing")
    parser.add_argument("--wait", action="store_true", help="stream the run's log here until it ends")
    parser.add_argument(
        "--logs",
        nargs="?",
        const="last",  # remote_error.LAST: the run 04 or 06 submitted last from here
        metavar="RUN_ID",
        help="submit nothing: show the Python error of a failed run (default: the last one submitted from here), "
        "its lines in src/ as this folder's files",
    )
    parser.add_argument(
        "--compute",
        help=f"cluster to run on (default: {compute}, or {settings.GPU_COMPUTE_NAME}, 02's GPU cluster, with --gpu)",
    )
    parser.add_argument("--experiment", default=experiment, help=f"experiment name (default: {experiment})")
    parser.add_argument("--node-count", type=int, default=1, help="nodes for distributed training (default: 1)")
    parser.add_argument(
        "--process-count-per-node", type=int, default=1, help="processes per node, e.g. one per GPU (default: 1)"
    )
    parser.add_argument(
        "--gpu",
        action="store_true",
        help=f"run on NVIDIA GPUs: {settings.GPU_COMPUTE_NAME} (02-create-compute.py --gpu) unless --compute, "
        "PyTorch's CUDA 12.6 build (.azureml/lock/cu126.txt), train.py --device cuda, NCCL between processes",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=timeout,
        help=f"seconds for logging in and reaching the workspace (default: {timeout})",
    )
    parser.add_argument(
        "--resume-from",
        metavar="RUN_ID",
        help="go on from an earlier run's last checkpoint (a cancelled, failed or preempted one): its id, or 'last' "
        "for the run submitted last from here; its checkpoint folder is only read, the new run keeps its own",
    )
    costs.add_max_hours(parser, settings.TRAIN_MAX_HOURS)
    if more:
        more(parser)
    parser.add_argument("train_args", nargs="*", help="flags for train.py, after --")
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # train.py's flags given before --
        own, misplaced, after = split_misplaced(list(argv if argv is not None else sys.argv[1:]), unknown)
        parser.error(
            f"unrecognized arguments: {' '.join(misplaced)}. Flags for train.py go after --, as in: "
            f"python {parser.prog} {' '.join([*own, '--', *misplaced, *after])}"
        )
    for flag in ("node_count", "process_count_per_node"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be 1 or more")
    rule = names.broken_rule("experiment_name", args.experiment)
    if rule:
        parser.error(f"--experiment {args.experiment!r}: use {rule}")
    check_train_flags(train_arguments(args))
    args.max_seconds = costs.max_seconds(args.max_hours)
    args.compute = args.compute or (settings.GPU_COMPUTE_NAME if args.gpu else compute)
    if args.resume_from:
        from aml import remote_error

        # 'last': the id kept in .azureml/last-run.txt
        args.resume_from = remote_error.run_id(args.resume_from, flag="--resume-from")
        rule = names.broken_rule("run_id", args.resume_from)
        if rule:
            parser.error(f"--resume-from {args.resume_from!r} is not a run id: use {rule}")
    return args


def split_misplaced(given, unknown):
    """given (a script's flags) as its own flags, the train.py flags given before -- (each with the values that
    follow it), and what came after --."""
    before, after = (given[: given.index("--")], given[given.index("--") + 1 :]) if "--" in given else (given, [])
    own, misplaced, taking = [], [], False
    for word in before:
        if word.split("=")[0] in unknown or word in unknown:
            misplaced.append(word)
            taking = "=" not in word  # its values follow it
        elif taking and not word.startswith("-"):
            misplaced.append(word)
        else:
            own.append(word)
            taking = False
    return own, misplaced, after


def check_train_flags(flags):
    """Stop, before anything is submitted, when train.py's own parser refuses the flags it would be given."""
    sys.path.insert(0, str(settings.SOURCE_DIR))  # train.py's flags.py, which imports only its paths.py
    try:
        import flags as train_flags
    finally:
        sys.path.remove(str(settings.SOURCE_DIR))
    parser = train_flags.build_parser()

    def refuse(message):
        fail(
            f"train.py would refuse its flags: {message}", "check them with python src/train.py --help, then run again"
        )

    parser.error = refuse
    parser.parse_args(flags)


def train_arguments(args, *first):
    """train.py's flags: `first` (such as the data path), --device cuda for --gpu unless given after --, the rest."""
    chosen = any(arg == "--device" or arg.startswith("--device=") for arg in args.train_args)
    return [*first, *(["--device", "cuda"] if args.gpu and not chosen else []), *args.train_args]


def workspace_arguments(description, argv=None, chosen=None):
    """Read 01's flags: the workspace's subscription, resource group, name and region (defaults from the settings)."""
    chosen = chosen or settings.load()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--subscription-id", default=chosen.subscription_id)
    parser.add_argument("--resource-group", default=chosen.resource_group)
    parser.add_argument("--workspace-name", default=chosen.workspace_name)
    parser.add_argument("--region", default=chosen.region, help="Azure region, e.g. eastus")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for Azure (default: 900)")
    args = parser.parse_args(argv)
    missing = [
        f"--{name.replace('_', '-')}"
        for name in ("subscription_id", "resource_group", "workspace_name", "region")
        if not getattr(args, name)
    ]
    if missing:
        where = settings.SETTINGS_FILE.relative_to(settings.ROOT)
        flags = " ".join(f"{flag} VALUE" for flag in missing)
        fail(
            f"the workspace details {', '.join(missing)} are empty in {where}",
            f"pass them: python 01-create-workspace.py {flags}, or fill them in in {where}",
        )
    for name in ("subscription_id", "resource_group", "workspace_name", "region"):  # checked before any login
        rule = names.broken_rule(name, getattr(args, name))
        if rule:
            parser.error(f"--{name.replace('_', '-')} {getattr(args, name)!r}: use {rule}")
    return args


def compute_arguments(description, argv=None, chosen=None):
    """Read 02's flags; args.name and args.vm_size are the cluster's (--gpu: the GPU cluster's unless given)."""
    chosen = chosen or settings.load()
    gpu = settings.GPU_COMPUTE_NAME
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--gpu", action="store_true", help=f"a GPU cluster: VM size {chosen.gpu_vm_size}, named {gpu} unless --name"
    )
    parser.add_argument("--name", help=f"cluster name (default: {chosen.compute_name}, or {gpu} with --gpu)")
    parser.add_argument("--vm-size", help=f"VM size (default: {chosen.vm_size}, or the GPU size with --gpu)")
    parser.add_argument("--max-nodes", type=int, default=chosen.max_nodes)
    parser.add_argument("--low-priority", action="store_true", help="cheaper nodes that Azure may take back")
    parser.add_argument("--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)
    args.name = args.name or (gpu if args.gpu else chosen.compute_name)
    args.vm_size = args.vm_size or (chosen.gpu_vm_size if args.gpu else chosen.vm_size)
    if args.max_nodes < 1:
        fail(f"--max-nodes {args.max_nodes} is below 1", "use --max-nodes 1 or more")
    return args


def hello_arguments(description, argv=None, chosen=None):
    """Read 03's flags: compute, timeout, time limit; args.max_seconds is --max-hours in seconds, args.experiment the
    hello-world experiment of the settings."""
    chosen = chosen or settings.load()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--compute", default=chosen.compute_name)
    parser.add_argument("--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for login (default: 60)")
    costs.add_max_hours(parser, settings.HELLO_MAX_HOURS)
    args = parser.parse_args(argv)
    args.max_seconds = costs.max_seconds(args.max_hours)
    args.experiment = chosen.hello_experiment_name
    return args


def upload_arguments(description, argv=None):
    """Read 05's flags; args.batches is the cifar-10-batches-py folder to upload, checked to hold CIFAR-10."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-path", default=str(settings.ROOT / "data"), help="the folder with CIFAR-10")
    parser.add_argument("--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)
    args.batches = Path(args.data_path) / "cifar-10-batches-py"
    if not (args.batches / "data_batch_1").is_file():
        fail(
            f"no CIFAR-10 in {args.batches}",
            "download it once with python src/train.py --epochs 1, or put the extracted "
            f"cifar-10-batches-py folder into {args.data_path}",
        )
    return args


def download_arguments(description, argv=None, chosen=None):
    """Read 07's flags: the run (default: the latest completed one of --experiment), the model's name, dry run and
    timeout; each name checked against its rule (aml/names.py) before any network call."""
    from aml import downloads  # 07's own module: the model's default name

    chosen = chosen or settings.load()
    experiment, model = chosen.experiment_name, downloads.MODEL_NAME
    parser = argparse.ArgumentParser(description=description, epilog="example: python %(prog)s --run-id RUN_ID")
    parser.add_argument(
        "--run-id", help="the training run, by its id in Azure ML Studio (default: the latest completed run)"
    )
    parser.add_argument("--experiment", default=experiment, help=f"its experiment (default: {experiment})")
    parser.add_argument("--model-name", default=model, help=f"the workspace model to register (default: {model})")
    parser.add_argument("--dry-run", action="store_true", help="say what would be downloaded and registered, offline")
    parser.add_argument(
        "--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for login and each look-up (default: 60)"
    )
    args = parser.parse_args(argv)
    for flag, rule_name in (
        ("--run-id", "run_id"),
        ("--experiment", "experiment_name"),
        ("--model-name", "model_name"),
    ):
        value = getattr(args, flag[2:].replace("-", "_"))
        rule = value is not None and names.broken_rule(rule_name, value)
        if rule:
            fail(f"{flag} {value!r} breaks its rule", f"use {rule}")
    return args
