"""The names chosen when this project was made, and what the control scripts share: workspace, timeouts, snapshot."""
import json
import os
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SOURCE_DIR = ROOT / "src"  # the only folder uploaded to Azure ML
ENV_FILE = ROOT / ".azureml" / "pytorch-env.yml"
ENV_NAME = "{{ cookiecutter.__env_name }}"

EXPERIMENT = "{{ cookiecutter.experiment_name }}"
HELLO_EXPERIMENT = "{{ cookiecutter.__hello_experiment }}"
COMPUTE_NAME = "{{ cookiecutter.compute_name }}"
VM_SIZE = "{{ cookiecutter.vm_size }}"
MAX_NODES = {{ cookiecutter.max_nodes }}

SUBSCRIPTION_ID = "{{ cookiecutter.subscription_id }}"
RESOURCE_GROUP = "{{ cookiecutter.resource_group }}"
WORKSPACE_NAME = "{{ cookiecutter.workspace_name }}"
REGION = "{{ cookiecutter.region }}"

TIMEOUT_S = 60  # for logging in and reaching the workspace
# Where Workspace.from_config() looks, in its order, in each folder from the start upwards.
CONFIG_SEARCH = (Path(".azureml", "config.json"), Path("aml_config", "config.json"), Path("config.json"))
CONFIG_KEYS = ("subscription_id", "resource_group", "workspace_name")


def fail(problem, fix):
    """Stop the script with one message that names the problem and the fix (exit status 1, no traceback)."""
    raise SystemExit(f"error: {problem}\nfix: {fix}")


def require_sdk():
    """Stop with the fix when azureml-core, which every control script needs, is not installed."""
    try:
        import azureml.core  # noqa: F401
    except ImportError:
        fail("azureml-core (the Azure ML SDK v1) is not installed in this Python",
             f"conda env create -f {ENV_FILE.relative_to(ROOT)}, then conda activate {ENV_NAME}")


def find_config(start=ROOT):
    """Find the workspace config the way Workspace.from_config() does, from start upwards; None when there is none."""
    for relative in CONFIG_SEARCH:
        for folder in (start, *start.parents):
            if (folder / relative).is_file():
                return folder / relative
    return None


def read_config(start=ROOT):
    """Return the path and contents of the workspace config, or stop with what to do when it is missing or broken."""
    path = find_config(start)
    if path is None:
        fail(f"no workspace config: .azureml/config.json was not found in {start} or the folders above it",
             "download config.json from your workspace in Azure ML Studio (workspace name at the top right, "
             f"'Download config file') into {ROOT / '.azureml'}, or create a workspace with "
             "python 01-create-workspace.py")
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
    messages = [line[len("Message:"):].strip() for line in lines if line.startswith("Message:")]
    text = (messages or [line for line in lines if not line.endswith(":")] or [type(error).__name__])[0]
    return text if len(text) <= 300 else text[:297] + "..."


def load_workspace(timeout=TIMEOUT_S):
    """Connect to the workspace named in .azureml/config.json, within `timeout` seconds for login and connection."""
    from azureml.core import Workspace

    path, config = read_config()
    name = config.get("workspace_name") or config.get("Scope", "").split("/")[-1]
    return bounded(lambda: Workspace.from_config(path=str(path)), timeout,
                   f"logging in and connecting to workspace {name!r}",
                   "log in with 'az login --use-device-code' and check the names in " + str(path))


def snapshot(source_dir=SOURCE_DIR):
    """The files Azure ML would upload from source_dir, as (relative path, size), and the ignore file it applies."""
    from azureml._project.ignore_file import get_project_ignore_file

    ignore = get_project_ignore_file(str(source_dir))
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
    return files, (Path(ignore.get_path()) if ignore.exists() else None)


def describe_submission(config, experiment):
    """Print what a ScriptRunConfig would submit: script, arguments, compute, environment and snapshot."""
    env = config.run_config.environment
    files, ignore = snapshot(Path(config.source_directory))
    print(f"experiment:   {experiment}")
    print(f"script:       {config.script}  (in {config.source_directory})")
    print(f"arguments:    {' '.join(map(str, config.arguments)) or '(none)'}")
    print(f"compute:      {config.run_config.target}")
    print(f"environment:  {env.name}, conda specification from {ENV_FILE.relative_to(ROOT)}:")
    for line in env.python.conda_dependencies.serialize_to_string().strip().splitlines():
        print(f"    {line}")
    rule = f"ignore rules from {ignore.name}" if ignore else "no ignore file"
    total = sum(size for _, size in files)
    print(f"snapshot:     {len(files)} files, {total / 1024:.1f} KiB ({rule})")
    for path, size in files:
        print(f"    {size:>10,d}  {path}")


require_sdk()
