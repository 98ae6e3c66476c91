"""Where things are, the names of .azureml/settings.yml, the workspace config, and where the login comes from."""

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from aml import names
from aml.lock_files import ENV_FILE, ROOT, lock_file
from aml.messages import fail

SOURCE_DIR = ROOT / "src"  # the only folder uploaded to Azure ML
SETTINGS_FILE = ROOT / ".azureml" / "settings.yml"
# The lock a run on Azure ML installs: PyTorch's CPU build, or its CUDA 12.6 build (--gpu).
LOCK_FILES = {False: lock_file("cpu"), True: lock_file("cu126")}

# Azure ML's current base image (Ubuntu 24.04, Open MPI): a conda file adds Python and the packages (SDK v2's training
# job, and the deployment of 08-deploy.py in either SDK).
BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi5.0-ubuntu24.04:latest"

TIMEOUT_S = 60  # for logging in and reaching the workspace
SIGN_IN_TIMEOUT_S = 300  # for a person to sign in with a device code
SUBMIT_TIMEOUT_S = 600  # for uploading the snapshot and submitting
UPLOAD_TIMEOUT_S = 3600  # for uploading CIFAR-10 (170 MB) to the datastore

# The clusters 02-create-compute.py creates, beyond the VM size and most nodes of .azureml/settings.yml: they scale
# down to 0 nodes after this long idle, and are dedicated unless 02 is given --low-priority. The dry runs say so.
GPU_COMPUTE_NAME = "gpu-cluster"  # the name of 02's --gpu cluster
IDLE_SECONDS_BEFORE_SCALEDOWN = 2400
GPU_IDLE_SECONDS_BEFORE_SCALEDOWN = 600  # a GPU node (N-series) idles at about 10 times a CPU node's price
PRIORITIES = {False: "dedicated", True: "low priority"}  # by --low-priority
# Every job's own time limit (--max-hours), after which Azure ML cancels it: training, and the hello-world run.
TRAIN_MAX_HOURS = 2.0
HELLO_MAX_HOURS = 0.1667  # 10 minutes
# Where a training job keeps its checkpoint: a folder of this datastore (every workspace has it), one per job,
# mounted read-write, so that a job Azure ML restarts on another node (low priority, preempted) resumes from it.
CHECKPOINT_DATASTORE = "workspaceblobstore"
CHECKPOINT_FOLDER = "checkpoints"

# The service principal a login without a person uses (also what CI systems set).
SERVICE_PRINCIPAL_VARIABLES = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
# Where Workspace.from_config() looks, in its order, in each folder from the start upwards.
CONFIG_SEARCH = (Path(".azureml", "config.json"), Path("aml_config", "config.json"), Path("config.json"))
# The folder where the search upwards ends, when set (else at the file system's root): keeps out a config.json that
# lies in a folder above the project and names another workspace.
CONFIG_SEARCH_STOP = "AZUREML_CONFIG_SEARCH_STOP"
CONFIG_KEYS = ("subscription_id", "resource_group", "workspace_name")
# Where a workspace is named when there is no config file, e.g. by a CI system's repository variables.
CONFIG_VARIABLES = {
    "subscription_id": "AZURE_SUBSCRIPTION_ID",
    "resource_group": "AZURE_RESOURCE_GROUP",
    "workspace_name": "AZUREML_WORKSPACE_NAME",
}


@dataclass(frozen=True)
class Settings:
    """The names of .azureml/settings.yml, each checked against its rule in aml/names.py."""

    experiment_name: str
    hello_experiment_name: str
    compute_name: str
    vm_size: str
    max_nodes: int
    gpu_vm_size: str
    region: str
    subscription_id: str
    resource_group: str
    workspace_name: str


OPTIONAL = {"region", "subscription_id", "resource_group", "workspace_name"}  # may be left empty


def load(path=SETTINGS_FILE):
    """Read and check the settings file, before any network call; stop with the file, the key and the fix."""
    import yaml  # PyYAML comes with either Azure ML SDK

    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    restore = f"restore it: git checkout -- {shown}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        fail(f"{shown} cannot be read ({err.strerror}); it names the experiment, the cluster, the workspace", restore)
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        fail(f"{shown} is not valid YAML{line}: {getattr(err, 'problem', None) or err}", f"fix {shown}, or {restore}")
    if not isinstance(data, dict):
        fail(f"{shown} does not hold the names as key: value lines", restore)
    values = {}
    for key, field in Settings.__dataclass_fields__.items():
        if key not in data:
            fail(f"{shown} lacks {key}", f"add a line '{key}: VALUE' to {shown}; it must be {names.RULES[key][1]}")
        value = data[key]
        if value is None and key in OPTIONAL:
            value = ""
        if not isinstance(value, int if field.type is int else str) or isinstance(value, bool):
            kind = "a whole number" if field.type is int else 'text (put it in quotes: "...")'
            fail(f"{key} in {shown} is {value!r}, not {kind}", f"edit {key} in {shown}")
        rule = names.broken_rule(key, value)
        if rule:
            fail(f"{key} in {shown} is {value!r}, which breaks its rule", f"edit {key} in {shown}: it must be {rule}")
        values[key] = value
    return Settings(**values)


def env_name(env_file=ENV_FILE):
    """The conda environment's name, from the name: line of the environment file."""
    try:
        found = re.search(r"(?m)^name:\s*(\S+)", env_file.read_text(encoding="utf-8"))
    except OSError:
        found = None
    return found.group(1) if found else "pytorch-env"


def find_config(start=ROOT):
    """Find the workspace config the way Workspace.from_config() does, from start upwards; None when there is none."""
    folders = [start, *start.parents]
    stop = os.environ.get(CONFIG_SEARCH_STOP)
    if stop:  # not above that folder
        folders = [folder for folder in folders if folder.resolve().is_relative_to(Path(stop).resolve())]
    for relative in CONFIG_SEARCH:
        for folder in folders:
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


def workspace_name(config):
    """The workspace a config names, itself or as the last part of its Scope (a resource id)."""
    return config.get("workspace_name") or config.get("Scope", "").split("/")[-1]


def config_subscription(config):
    """The subscription id a workspace config names, itself or in its Scope (a resource id); None when neither."""
    found = re.search(r"/subscriptions/([^/]+)", config.get("Scope") or "")
    return config.get("subscription_id") or (found.group(1) if found else None)


def service_principal():
    """The service principal named by SERVICE_PRINCIPAL_VARIABLES, as a dict; None when none is set."""
    given = [name for name in SERVICE_PRINCIPAL_VARIABLES if os.environ.get(name)]
    if not given:
        return None
    if len(given) < len(SERVICE_PRINCIPAL_VARIABLES):
        fail(
            f"only {', '.join(given)} of the service principal variables are set",
            "set all of " + ", ".join(SERVICE_PRINCIPAL_VARIABLES) + ", or unset them to use 'az login'",
        )
    return {name: os.environ[name] for name in SERVICE_PRINCIPAL_VARIABLES}


def no_login():
    """Stop: there is no service principal, no Azure CLI and no terminal for a device code."""
    fail(
        "no way to log in: no service principal variables, no Azure CLI, and no terminal for a device code",
        "install the Azure CLI and run 'az login --use-device-code', or set " + ", ".join(SERVICE_PRINCIPAL_VARIABLES),
    )


def login_fix(how):
    """What to do when logging in the way `how` names fails."""
    if how.startswith("service principal"):
        return "check " + ", ".join(SERVICE_PRINCIPAL_VARIABLES) + " and the service principal's role on the workspace"
    return "log in with 'az login --use-device-code'"
