"""The names chosen when this project was made, and what the control scripts share: pre-flight, login, workspace."""

import ast
{%- if cookiecutter.sdk == "v2" %}
import copy
{%- endif %}
import json
{%- if cookiecutter.sdk == "v2" %}
import logging
{%- endif %}
import os
import re
import shutil
{%- if cookiecutter.sdk == "v1" %}
import subprocess
{%- endif %}
import sys
{%- if cookiecutter.sdk == "v2" %}
import tempfile
{%- endif %}
import threading
{%- if cookiecutter.sdk == "v1" %}
import time
from datetime import datetime
{%- endif %}
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SOURCE_DIR = ROOT / "src"  # the only folder uploaded to Azure ML
ENV_FILE = ROOT / ".azureml" / "pytorch-env.yml"
ENV_NAME = "{{ cookiecutter.__env_name }}"
# The torch build a run on Azure ML installs (pip options and pins added to ENV_FILE's pip list): CPU or GPU (--gpu).
TORCH_FILES = {False: ROOT / ".azureml" / "torch-cpu.txt", True: ROOT / ".azureml" / "torch-gpu.txt"}

EXPERIMENT = "{{ cookiecutter.experiment_name }}"  # noqa: E501 (a long answer)
HELLO_EXPERIMENT = "{{ cookiecutter.__hello_experiment }}"  # noqa: E501 (a long answer)
COMPUTE_NAME = "{{ cookiecutter.compute_name }}"
VM_SIZE = "{{ cookiecutter.vm_size }}"
MAX_NODES = {{ cookiecutter.max_nodes }}

SUBSCRIPTION_ID = "{{ cookiecutter.subscription_id }}"
RESOURCE_GROUP = "{{ cookiecutter.resource_group }}"
WORKSPACE_NAME = "{{ cookiecutter.workspace_name }}"
REGION = "{{ cookiecutter.region }}"

TIMEOUT_S = 60  # for logging in and reaching the workspace
SIGN_IN_TIMEOUT_S = 300  # for a person to sign in with a device code
{%- if cookiecutter.sdk == "v1" %}
TOKEN_MARGIN_S = 300  # an Azure CLI token is asked for again this long before it expires
{%- endif %}
SUBMIT_TIMEOUT_S = 600  # for uploading the snapshot and submitting
UPLOAD_TIMEOUT_S = 3600  # for uploading CIFAR-10 (170 MB) to the datastore
{%- if cookiecutter.sdk == "v1" %}
DATASTORE_PATH = "datasets/cifar10"  # where 05 uploads data/ and 06 mounts it from
{%- else %}
DATA_ASSET = "cifar10"  # the data asset 05 makes from data/ and 06 mounts
# Azure ML's current base image (Ubuntu 24.04, Open MPI); the conda file adds Python and the packages.
BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi5.0-ubuntu24.04:latest"
# SDK v2 uploads src/ as a code asset without a hard limit; this project keeps v1's snapshot limits so that
# each submission stays a quick upload.
SNAPSHOT_MAX_SIZE_BYTES = 300 * 2**20
SNAPSHOT_MAX_FILES = 2000
{%- endif %}
GPU_VM_SIZE = "Standard_NC4as_T4_v3"  # 1 NVIDIA T4 per node
COMPUTE_NAME_RULE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]")
# The package that provides each module the training code imports (the environment file must name it).
PACKAGES = {
    "torch": "torch",
    "torchvision": "torchvision",
    "numpy": "numpy",
    "matplotlib": "matplotlib",
    "tqdm": "tqdm",
{%- if cookiecutter.sdk == "v1" %}
    "azureml": "azureml-core",
{%- else %}
    "mlflow": "mlflow",
{%- endif %}
}
# The service principal a login without a person uses (also what CI systems set).
SERVICE_PRINCIPAL_VARIABLES = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
# Where Workspace.from_config() looks, in its order, in each folder from the start upwards.
CONFIG_SEARCH = (Path(".azureml", "config.json"), Path("aml_config", "config.json"), Path("config.json"))
CONFIG_KEYS = ("subscription_id", "resource_group", "workspace_name")
# Where a workspace is named when there is no config file, e.g. by a CI system's repository variables.
CONFIG_VARIABLES = {
    "subscription_id": "AZURE_SUBSCRIPTION_ID",
    "resource_group": "AZURE_RESOURCE_GROUP",
    "workspace_name": "AZUREML_WORKSPACE_NAME",
}


def fail(problem, fix):
    """Stop the script with one message that names the problem and the fix (exit status 1, no traceback)."""
    raise SystemExit(f"error: {problem}\nfix: {fix}")


def require_sdk():
{%- if cookiecutter.sdk == "v1" %}
    """Stop with the fix when azureml-core, which every control script needs, is not installed."""
    try:
        import azureml.core  # noqa: F401
    except ImportError:
        fail(
            "azureml-core (the Azure ML SDK v1) is not installed in this Python",
{%- else %}
    """Stop with the fix when azure-ai-ml and azure-identity, which every control script needs, are not installed."""
    try:
        import azure.ai.ml  # noqa: F401
        import azure.identity  # noqa: F401
    except ImportError:
        fail(
            "azure-ai-ml (the Azure ML SDK v2) or azure-identity is not installed in this Python",
{%- endif %}
            f"conda env create -f {ENV_FILE.relative_to(ROOT)}, then conda activate {ENV_NAME}",
        )


def find_config(start=ROOT):
    """Find the workspace config the way Workspace.from_config() does, from start upwards; None when there is none."""
    for relative in CONFIG_SEARCH:
        for folder in (start, *start.parents):
            if (folder / relative).is_file():
                return folder / relative
    return None


def read_config(start=ROOT):
    """Return the workspace config's path and contents (path None: named by CONFIG_VARIABLES), or stop with the fix."""
    path = find_config(start)
    if path is None:
        named = {key: os.environ.get(variable, "") for key, variable in CONFIG_VARIABLES.items()}
        if all(named.values()):
            return None, named
        unset = [CONFIG_VARIABLES[key] for key, value in named.items() if not value]
        also = f" ({', '.join(unset)} not set)" if len(unset) < len(named) else ""
        fail(
            f"no workspace config: .azureml/config.json was not found in {start} or the folders above it{also}",
            "download config.json from your workspace in Azure ML Studio (workspace name at the top right, "
            f"'Download config file') into {ROOT / '.azureml'}, or create a workspace with "
            "python 01-create-workspace.py, or set " + ", ".join(CONFIG_VARIABLES.values()),
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        fail(f"{path} is not valid JSON ({err})", "download config.json again from Azure ML Studio")
    config = config if isinstance(config, dict) else {}
    missing = [key for key in CONFIG_KEYS if not config.get(key)]
    if missing and not config.get("Scope"):
        fail(f"{path} lacks {', '.join(missing)}", "download config.json again from Azure ML Studio")
    return path, config


def bounded(action, seconds, what, fix):
    """Run action() but give up after `seconds`; any failure becomes one clear message naming `what` and `fix`."""
    result, error = [], []

    def target():
        try:
            result.append(action())
        except BaseException as err:  # reported below, in the main thread
            error.append(err)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        fail(f"no answer after {seconds:g} s while {what}", f"check your network connection, then {fix}")
    if error:
        fail(f"{what} failed: {summary(error[0])}", fix)
    return result[0]


def summary(error):
    """One line that says what went wrong: the SDK's 'Message:' line when it has one, else the first line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    messages = [line[len("Message:") :].strip() for line in lines if line.startswith("Message:")]
    text = (messages or [line for line in lines if not line.endswith(":")] or [type(error).__name__])[0]
    return text if len(text) <= 300 else text[:297] + "..."


def login_fix(how):
    """What to do when logging in the way `how` names fails."""
    if how.startswith("service principal"):
        return "check " + ", ".join(SERVICE_PRINCIPAL_VARIABLES) + " and the service principal's role on the workspace"
    return "log in with 'az login --use-device-code'"


{%- if cookiecutter.sdk == "v1" %}


def load_workspace(timeout=TIMEOUT_S):
    """Connect to the workspace named in .azureml/config.json, within `timeout` seconds for login and connection."""
    from azureml.core import Workspace

    path, config = read_config()
    name = config.get("workspace_name") or config.get("Scope", "").split("/")[-1]
    auth, how = authentication(timeout, subscription=config_subscription(config))
    print(f"Connecting to workspace {name!r} ({how}) ...", flush=True)
    if path is None:
        where = ", ".join(CONFIG_VARIABLES.values())

        def connect():
            return Workspace.get(
                name,
                auth=auth,
                subscription_id=config["subscription_id"],
                resource_group=config["resource_group"],
            )
    else:
        where = path

        def connect():
            return Workspace.from_config(path=str(path), auth=auth)

    return bounded(
        connect,
        timeout,
        f"logging in ({how}) and connecting to workspace {name!r}",
        f"{login_fix(how)}, and check the names in {where}",
    )
{%- else %}


def ml_client(timeout=TIMEOUT_S):
    """An MLClient for the workspace named in .azureml/config.json, checked within `timeout` seconds."""
    from azure.ai.ml import MLClient

    path, config = read_config()
    name = config.get("workspace_name") or config.get("Scope", "").split("/")[-1]
    credential, how = authentication(timeout, subscription=config_subscription(config))
    print(f"Connecting to workspace {name!r} ({how}) ...", flush=True)
    # every request gives up on a connection after a quarter of the time, so its retries fit in it
    timeouts = {"connection_timeout": timeout / 4, "read_timeout": max(timeout, SUBMIT_TIMEOUT_S)}
    if path is None:
        where = ", ".join(CONFIG_VARIABLES.values())
        client = MLClient(
            credential,
            subscription_id=config["subscription_id"],
            resource_group_name=config["resource_group"],
            workspace_name=name,
            **timeouts,
        )
    else:
        where = path
        logging.getLogger("azure.ai.ml._ml_client").setLevel(logging.WARNING)  # its "Found the config file" note
        try:
            client = MLClient.from_config(credential, path=str(path), **timeouts)
        except Exception as err:  # the SDK's own reading of the file, offline
            fail(f"{path} does not name a workspace: {summary(err)}", "download config.json again from Azure ML Studio")
    bounded(
        lambda: client.workspaces.get(name),
        timeout + (SIGN_IN_TIMEOUT_S if how == "device code" else 0),  # a person signs in first
        f"logging in ({how}) and connecting to workspace {name!r}",
        f"{login_fix(how)}, and check the names in {where}",
    )
    return client
{%- endif %}


def config_subscription(config):
    """The subscription id a workspace config names, itself or in its Scope (a resource id); None when neither."""
    found = re.search(r"/subscriptions/([^/]+)", config.get("Scope") or "")
    return config.get("subscription_id") or (found.group(1) if found else None)


def authentication(timeout=TIMEOUT_S, subscription=None):
    """Pick the login, non-interactive first: a service principal, then the Azure CLI's login, then a device code."""
{%- if cookiecutter.sdk == "v1" %}
    from azureml.core.authentication import (
        InteractiveLoginAuthentication,
        ServicePrincipalAuthentication,
        TokenAuthentication,
    )
{%- else %}
    from azure.identity import AzureCliCredential, ClientSecretCredential, DeviceCodeCredential

    logging.getLogger("azure.identity").setLevel(logging.ERROR)  # a failed login is reported once, with the fix
{%- endif %}

    given = [name for name in SERVICE_PRINCIPAL_VARIABLES if os.environ.get(name)]
    if given:
        if len(given) < len(SERVICE_PRINCIPAL_VARIABLES):
            fail(
                f"only {', '.join(given)} of the service principal variables are set",
                "set all of " + ", ".join(SERVICE_PRINCIPAL_VARIABLES) + ", or unset them to use 'az login'",
            )
{%- if cookiecutter.sdk == "v1" %}
        return ServicePrincipalAuthentication(
            tenant_id=os.environ["AZURE_TENANT_ID"],
            service_principal_id=os.environ["AZURE_CLIENT_ID"],
            service_principal_password=os.environ["AZURE_CLIENT_SECRET"],
        ), "service principal from AZURE_CLIENT_ID"
    az = shutil.which("az")
    if az:
        return TokenAuthentication(AzureCliTokens(az, subscription, timeout)), "Azure CLI login"
    if sys.stdin is not None and sys.stdin.isatty():
        print(f"Waiting up to {SIGN_IN_TIMEOUT_S / 60:g} minutes for you to sign in (device code) ...", flush=True)
        return bounded(  # the SDK signs in as it makes the object: a browser if there is one, else a device code
            InteractiveLoginAuthentication,
            SIGN_IN_TIMEOUT_S,
            "waiting for you to sign in (device code)",
            f"run again and sign in within {SIGN_IN_TIMEOUT_S / 60:g} minutes, or log in first with "
            "'az login --use-device-code'",
        ), "device code"
{%- else %}
        return ClientSecretCredential(
            os.environ["AZURE_TENANT_ID"],
            os.environ["AZURE_CLIENT_ID"],
            os.environ["AZURE_CLIENT_SECRET"],
            connection_timeout=timeout,
        ), "service principal from AZURE_CLIENT_ID"
    if shutil.which("az"):  # the Azure CLI's login (the CLI stays outside the training environment)
        return AzureCliCredential(process_timeout=timeout, subscription=subscription), "Azure CLI login"
    if sys.stdin is not None and sys.stdin.isatty():
        print(f"Waiting up to {SIGN_IN_TIMEOUT_S / 60:g} minutes for you to sign in (device code) ...", flush=True)
        return DeviceCodeCredential(timeout=SIGN_IN_TIMEOUT_S, connection_timeout=timeout), "device code"
{%- endif %}
    fail(
        "no way to log in: no service principal variables, no Azure CLI, and no terminal for a device code",
        "install the Azure CLI and run 'az login --use-device-code', or set " + ", ".join(SERVICE_PRINCIPAL_VARIABLES),
    )


{%- if cookiecutter.sdk == "v1" %}


class AzureCliTokens:
    """The Azure CLI's access tokens, one per audience, each kept until shortly before it expires."""

    def __init__(self, az, subscription=None, timeout=TIMEOUT_S):
        self.az, self.subscription, self.timeout = az, subscription, timeout
        self.tokens = {}  # audience: (token, expiry in time.time() seconds)
        self.lock = threading.Lock()

    def __call__(self, audience):
        """The token for `audience` (TokenAuthentication asks before each request): az runs only when it is stale."""
        with self.lock:
            token, expires = self.tokens.get(audience, (None, 0.0))
            if time.time() >= expires - TOKEN_MARGIN_S:
                token, expires = azure_cli_token(self.az, audience, self.timeout, self.subscription)
                self.tokens[audience] = (token, expires)
            return token


def azure_cli_token(az, audience, timeout=TIMEOUT_S, subscription=None):
    """An access token for `audience` and when it expires, from the Azure CLI's login (outside the environment)."""
    command = [az, "account", "get-access-token", "--resource", audience, "--output", "json"]
    try:
        result = subprocess.run(
            command + (["--subscription", subscription] if subscription else []),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the Azure CLI gave no token within {timeout:g} s") from None
    if result.returncode != 0:
        raise RuntimeError("the Azure CLI is not logged in (" + (result.stderr.strip().splitlines() or ["?"])[-1] + ")")
    answer = json.loads(result.stdout)
    if "expires_on" in answer:  # seconds since 1970 (Azure CLI 2.54 and later)
        expires = float(answer["expires_on"])
    else:  # older CLIs: local time, as 2024-01-31 12:34:56.789012
        expires = datetime.strptime(answer["expiresOn"], "%Y-%m-%d %H:%M:%S.%f").timestamp()
    return answer["accessToken"], expires
{%- endif %}


def preflight(compute=None, needs_workspace=True):
    """Check, before any network call, what would make a submission fail: names, environment file, snapshot, config."""
    if compute is not None and not COMPUTE_NAME_RULE.fullmatch(compute):
        fail(
            f"compute name {compute!r} is not valid",
            "use 2-16 letters, digits or '-', starting with a letter and not ending with '-' (--compute NAME)",
        )
    check_environment()
    files, total = check_snapshot()
    if needs_workspace:
        read_config()
    print(
        f"Pre-flight checks passed: snapshot of src/ has {len(files)} files, {total / 1024:.1f} KiB; "
        f"{ENV_FILE.relative_to(ROOT)} names every package src/ imports.",
        flush=True,
    )


def check_environment(env_file=ENV_FILE, source_dir=SOURCE_DIR):
    """The environment file parses (with the SDK's own reader) and names every package the training code imports."""
{%- if cookiecutter.sdk == "v1" %}
    from azureml.core import Environment

    try:
        env = Environment.from_conda_specification(name=ENV_NAME, file_path=str(env_file))
    except Exception as err:  # the SDK raises several kinds for a missing or malformed file
        fail(f"{env_file} cannot be read as a conda environment: {summary(err)}", "fix the YAML (see the line named)")
    named = {package_name(spec) for spec in env.python.conda_dependencies.pip_packages}
    named |= {
        re.split(r"[<>=!~ ]", spec, maxsplit=1)[0].lower() for spec in env.python.conda_dependencies.conda_packages
    }
{%- else %}
    try:
        conda = training_environment(env_file=env_file).conda_file
    except Exception as err:  # the SDK raises several kinds for a missing or malformed file
        fail(f"{env_file} cannot be read as a conda environment: {summary(err)}", "fix the YAML (see the line named)")
    entries = conda.get("dependencies") or []
    pip = [spec for entry in entries if isinstance(entry, dict) for spec in entry.get("pip") or []]
    named = {package_name(spec) for spec in pip}
    named |= {re.split(r"[<>=!~ ]", spec, maxsplit=1)[0].lower() for spec in entries if isinstance(spec, str)}
{%- endif %}
    local = {path.stem for path in Path(source_dir).glob("*.py")}
    for path in sorted(Path(source_dir).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            )
            for module in (m.split(".")[0] for m in modules):
                if module in local or module in sys.stdlib_module_names:
                    continue
                package = PACKAGES.get(module, module)
                if package.lower() not in named:
                    fail(
                        f"src/{path.name} imports {module}, but {env_file.name} does not name {package}",
                        f"add '- {package}' under pip: in {env_file.relative_to(ROOT)}",
                    )


def package_name(spec):
    """The package a pip requirement names, in lower case: torch for torch==2.9.1+cu126."""
    return re.split(r"[<>=!~\[; ]", spec.strip(), maxsplit=1)[0].lower()


def torch_build(gpu=False):
    """The pip options (an index of wheels) and pins of .azureml/torch-gpu.txt (gpu) or torch-cpu.txt, in order."""
    path = TORCH_FILES[gpu]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        fail(
            f"{path.relative_to(ROOT)} cannot be read ({err.strerror}); it names the torch wheels of a "
            f"{'GPU' if gpu else 'CPU'} run",
            f"restore it: git checkout -- {path.relative_to(ROOT)}",
        )
    lines = [re.sub(r"(^|\s)#.*", "", line).strip() for line in text.splitlines()]  # '#' starts a comment
    return [line for line in lines if line.startswith("-")], [line for line in lines if line and line[0] != "-"]


def train_arguments(args, *first):
    """train.py's flags: `first` (such as the data path), --device cuda for --gpu unless given after --, the rest."""
    chosen = any(arg == "--device" or arg.startswith("--device=") for arg in args.train_args)
    return [*first, *(["--device", "cuda"] if args.gpu and not chosen else []), *args.train_args]


def check_snapshot(source_dir=SOURCE_DIR):
    """The upload of source_dir stays within Azure ML's limits; else stop, naming the largest files and the fix."""
{%- if cookiecutter.sdk == "v1" %}
    from azureml._restclient.constants import SNAPSHOT_MAX_FILES, SNAPSHOT_MAX_SIZE_BYTES
{%- endif %}

    files, ignore = snapshot(source_dir)
    total = sum(size for _, size in files)
    if total <= SNAPSHOT_MAX_SIZE_BYTES and len(files) <= SNAPSHOT_MAX_FILES:
        return files, total
    if total > SNAPSHOT_MAX_SIZE_BYTES:  # the largest files whose removal brings it under the limit
        culprits, remaining = [], total
        for path, size in sorted(files, key=lambda item: -item[1]):
            if remaining <= SNAPSHOT_MAX_SIZE_BYTES:
                break
            culprits.append(path)
            remaining -= size
        problem = (
            f"the snapshot of src/ is {total / 2**20:.0f} MB, over {{ "Azure ML's limit" if cookiecutter.sdk == "v1" else "this project's limit" }} of "
            f"{SNAPSHOT_MAX_SIZE_BYTES / 2**20:.0f} MB; largest: "
            + ", ".join(f"{path} ({dict(files)[path] / 2**20:.0f} MB)" for path in culprits)
        )
    else:  # the folders with the most files
        counts = {}
        for path, _ in files:
            counts[path.split(os.sep)[0]] = counts.get(path.split(os.sep)[0], 0) + 1
        culprits = [top for top in sorted(counts, key=lambda top: -counts[top]) if (Path(source_dir) / top).is_dir()][
            :3
        ]
        problem = (
            f"the snapshot of src/ has {len(files)} files, over {{ "Azure ML's limit" if cookiecutter.sdk == "v1" else "this project's limit" }} of {SNAPSHOT_MAX_FILES}; "
            "most are in " + ", ".join(f"{top} ({counts[top]} files)" for top in culprits)
        )
    rules = sorted(
        {
            path.split(os.sep)[0] + ("/" if os.sep in path or (Path(source_dir) / path).is_dir() else "")
            for path in culprits
        }
    )
    fail(
        problem,
        f"keep data outside src/ (the project's data/ folder), or add to src/"
        f"{ignore.name if ignore else '.amlignore'}: " + " ".join(rules),
    )
    return files, total


def snapshot(source_dir=SOURCE_DIR):
    """The files Azure ML would upload from source_dir, as (relative path, size), and the ignore file it applies."""
{%- if cookiecutter.sdk == "v1" %}
    from azureml._project.ignore_file import get_project_ignore_file

    ignore = get_project_ignore_file(str(source_dir))
{%- else %}
    from azure.ai.ml._utils._asset_utils import get_ignore_file  # the SDK's rules: .amlignore, else .gitignore

    ignore = get_ignore_file(source_dir)
{%- endif %}
    files = []

    def walk(folder):
        for name in sorted(os.listdir(folder)):
            path = os.path.normpath(os.path.join(folder, name))
            if ignore.is_file_excluded(path):
                continue
            if os.path.isfile(path):
                files.append((os.path.relpath(path, source_dir), os.path.getsize(path)))
            else:
                walk(path)

    walk(str(source_dir))
{%- if cookiecutter.sdk == "v1" %}
    return files, (Path(ignore.get_path()) if ignore.exists() else None)
{%- else %}
    return files, (Path(ignore.path) if ignore.exists() else None)
{%- endif %}


def submission_arguments(description, argv=None, more=None):
    """Read the flags 04 and 06 share: dry run, wait, compute, experiment, nodes, timeout and train.py's own flags."""
    import argparse

    parser = argparse.ArgumentParser(
        description=description, epilog="example: python 04-run-pytorch.py --wait -- --epochs 10"
    )
    parser.add_argument("--dry-run", action="store_true", help="build the run offline, print it, submit nothing")
    parser.add_argument("--wait", action="store_true", help="stream the run's log here until it ends")
    parser.add_argument("--compute", default=COMPUTE_NAME, help=f"cluster to run on (default: {COMPUTE_NAME})")
    parser.add_argument("--experiment", default=EXPERIMENT, help=f"experiment name (default: {EXPERIMENT})")
    parser.add_argument("--node-count", type=int, default=1, help="nodes for distributed training (default: 1)")
    parser.add_argument(
        "--process-count-per-node", type=int, default=1, help="processes per node, e.g. one per GPU (default: 1)"
    )
    parser.add_argument(
        "--gpu",
        action="store_true",
        help="the cluster has NVIDIA GPUs: CUDA 12 torch (.azureml/torch-gpu.txt), train.py --device cuda, "
        "NCCL between processes",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_S,
        help=f"seconds for logging in and reaching the workspace (default: {TIMEOUT_S})",
    )
    if more:
        more(parser)
    parser.add_argument("train_args", nargs="*", help="flags for train.py, after --")
    args = parser.parse_args(argv)
    for flag in ("node_count", "process_count_per_node"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be 1 or more")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}", args.experiment):
        parser.error(
            f"--experiment {args.experiment!r}: use 1-255 letters, digits, '_' or '-', starting with a letter or digit"
        )
    return args


{%- if cookiecutter.sdk == "v1" %}


def training_environment(gpu=False, env_file=ENV_FILE):
    """The conda environment of env_file with the torch build of .azureml/torch-gpu.txt (gpu) or torch-cpu.txt."""
    from azureml.core import Environment

    env = Environment.from_conda_specification(name=ENV_NAME, file_path=str(env_file))
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


def submit(config, args, ws=None, checked=False):
    """Pre-flight (unless `checked`), then submit and print the Studio link (--wait: stream the log), or --dry-run."""
    from azureml.core import Experiment

    if not checked:
        preflight(compute=args.compute, needs_workspace=not args.dry_run)
    if args.dry_run:
        print("Dry run: nothing is submitted.")
        describe_submission(config, args.experiment, TORCH_FILES[args.gpu])
        return None
    ws = ws or load_workspace(args.timeout)
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
{%- else %}


def distribution(args):
    """Azure ML's PyTorch launcher for --node-count/--process-count-per-node, or None for one process."""
    from azure.ai.ml import PyTorchDistribution

    if args.node_count * args.process_count_per_node == 1:
        return None
    return PyTorchDistribution(process_count_per_instance=args.process_count_per_node)


def training_environment(gpu=False, env_file=ENV_FILE):
    """env_file's conda environment with the torch build of torch-gpu.txt (gpu) or torch-cpu.txt, on BASE_IMAGE."""
    from azure.ai.ml.entities import Environment

    conda = copy.deepcopy(Environment(image=BASE_IMAGE, conda_file=str(env_file)).conda_file)  # the SDK's reading
    entries = conda.setdefault("dependencies", [])
    pip = next((entry for entry in entries if isinstance(entry, dict) and "pip" in entry), None)
    if pip is None:
        pip = {"pip": []}
        entries.append(pip)
    options, pins = torch_build(gpu)
    pinned = {package_name(pin) for pin in pins}
    # as SDK v1's CondaDependencies does it: the options, then the pins replacing the file's entries, at the end
    kept = [spec for spec in pip["pip"] or [] if spec.startswith("-") or package_name(spec) not in pinned]
    pip["pip"] = [*kept, *[option for option in options if option not in kept], *pins]
    return Environment(image=BASE_IMAGE, conda_file=conda)


def submit(job, args, client=None, checked=False):
    """Pre-flight (unless `checked`), then submit and print the Studio link (--wait: stream the log), or --dry-run."""
    if not checked:
        preflight(compute=args.compute, needs_workspace=not args.dry_run)
    described = job_yaml(job)  # the SDK's own check of the job, offline, before any network call
    if args.dry_run:
        print("Dry run: nothing is submitted. The job, as Azure ML's YAML:")
        print(described, end="")
        print_snapshot(*snapshot(SOURCE_DIR))
        return None
    client = client or ml_client(args.timeout)
    run = bounded(
        lambda: client.jobs.create_or_update(job),
        SUBMIT_TIMEOUT_S,
        "uploading src/ and submitting the job",
        "run again",
    )
    aml_url = run.studio_url
    print(aml_url, flush=True)
    report_on_github(run.name, args.experiment, aml_url)
    if args.wait:
        client.jobs.stream(run.name)
    return run


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
{%- endif %}

{%- if cookiecutter.sdk == "v2" %}


def job_problem(error):
    """The first field and complaint in the SDK's validation error, whose JSON nests in JSON, as one line."""
    text = str(error)
    for _ in range(3):
        text = text.replace('\\"', '"').replace("\\n", "\n")
    found = re.search(r'"(\w+)": \[\s*(?:{\s*"_schema": \[\s*)?"([^"]+)"', text)
    return f"{found.group(1)}: {found.group(2).strip()}" if found else summary(error)
{%- endif %}


def print_snapshot(files, ignore):
    """Print the files to be uploaded from src/, with their sizes and the ignore file that chose them."""
    rule = f"ignore rules from {ignore.name}" if ignore else "no ignore file"
    total = sum(size for _, size in files)
    print(f"snapshot:     {len(files)} files, {total / 1024:.1f} KiB ({rule})")
    for path, size in files:
        print(f"    {size:>10,d}  {path}")


def report_on_github(name, experiment, url):
    """In a GitHub Actions job, put the link to the submitted run on the workflow run's summary page."""
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as page:
            page.write(
                f"Training run {name} submitted to experiment {experiment}: [open it in Azure ML Studio]({url})\n"
            )


require_sdk()
