"""Checks before any network call of what would make a script fail: names, environment file, snapshot, config."""

import ast
import os
import re
import sys
from pathlib import Path

from aml import lock_files, names, sdk, serving
from aml.messages import fail, summary
from aml.settings import ENV_FILE, LOCK_FILES, ROOT, SOURCE_DIR, read_config

# The package that provides each module the training code imports (the environment file must name it).
PACKAGES = {
    "torch": "torch",
    "torchvision": "torchvision",
    "numpy": "numpy",
    "matplotlib": "matplotlib",
    "tqdm": "tqdm",
    "PIL": "pillow",  # predict.py reads image files with it (torchvision installs it too)
    "azureml_inference_server_http": "azureml-inference-server-http",  # the server score.py runs in
    **sdk.PACKAGES,  # the SDK's own: the run's metrics
}


def check(compute=None, upload=False, workspace=True):
    """What a script needs, checked offline: the compute name, the upload of src/ (environment file and snapshot),
    and the workspace config, read once; returns the config as read_config() does (None when not `workspace`)."""
    if compute is not None:
        check_compute_name(compute)
    if upload:
        check_environment()
        check_lock()
        files, total = check_snapshot()
    config = read_config() if workspace else None
    if upload:
        print(
            f"Pre-flight checks passed: snapshot of src/ has {len(files)} files, {total / 1024:.1f} KiB; "
            f"{ENV_FILE.relative_to(ROOT)} names every package src/ imports, and its lock agrees.",
            flush=True,
        )
    return config


def check_compute_name(compute):
    """Stop when `compute` breaks Azure ML's rule for cluster names."""
    rule = names.broken_rule("compute_name", compute)
    if rule:
        fail(f"compute name {compute!r} is not valid", f"use {rule} (--compute NAME)")


def check_environment(env_file=ENV_FILE, source_dir=SOURCE_DIR, scripts=None):
    """The environment file parses (with the SDK's own reader) and names every package the code imports: `scripts`
    (file names in source_dir), by default every file but the serving entry script (the serving environment's)."""
    try:
        pip, conda = sdk.read_environment(env_file)
    except Exception as err:  # the SDK raises several kinds for a missing or malformed file
        fail(f"{env_file} cannot be read as a conda environment: {summary(err)}", "fix the YAML (see the line named)")
    named = {package_name(spec) for spec in pip}
    named |= {re.split(r"[<>=!~ ]", spec, maxsplit=1)[0].lower() for spec in conda}
    local = {path.stem for path in Path(source_dir).glob("*.py")}
    if scripts is None:
        scripts = [path.name for path in Path(source_dir).glob("*.py") if path.name != serving.ENTRY_SCRIPT]
    for path in sorted(Path(source_dir) / name for name in scripts):
        for module in imported(path):
            if module in local or module in sys.stdlib_module_names:
                continue
            package = PACKAGES.get(module, module)
            if package.lower() not in named:
                fail(
                    f"src/{path.name} imports {module}, but {env_file.name} does not name {package}",
                    f"add '- {package}' under pip: in {env_file.relative_to(ROOT)}",
                )


def imported(path):
    """The top-level modules a Python file imports (absolute imports, anywhere in it)."""
    modules = set()
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def with_local_imports(script, source_dir=SOURCE_DIR):
    """script's file name and those of the files of source_dir it imports, directly or through them."""
    local = {path.stem for path in Path(source_dir).glob("*.py")}
    found, pending = set(), [script]
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending += [f"{module}.py" for module in imported(Path(source_dir) / name) if module in local]
    return sorted(found)


def package_name(spec):
    """The package a pip requirement names, in lower case: torch for torch==2.9.1+cu126."""
    return re.split(r"[<>=!~\[; ]", spec.strip(), maxsplit=1)[0].lower()


def check_lock():
    """The lock was made from the environment file as it is now (else the job would not get what it names)."""
    try:
        problem = lock_files.disagreement()
    except OSError as err:
        fail(f"{err.filename} cannot be read ({err.strerror})", "restore it: git checkout -- .azureml/")
    if problem:
        fail(
            f"the lock is out of date: {problem}",
            f"make it again: {lock_files.REFRESH} (the VS Code task: Lock the environment)",
        )


def read_lock(path, env_file=ENV_FILE):
    """The text of a lock, and the Python of the environment file it was made from; stop with the fix when the lock
    cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        where = path.relative_to(ROOT).as_posix()
        fail(
            f"{where} cannot be read ({err.strerror}); it pins the packages that Azure ML installs",
            f"restore it: git checkout -- {where}, or make it again: {lock_files.REFRESH}",
        )
    return text, lock_files.python_version(Path(env_file).read_text(encoding="utf-8")) or "3"


def job_lock(gpu=False):
    """The lock a training job installs, PyTorch's CPU or (gpu) CUDA 12.6 build, and its environment's Python."""
    return read_lock(LOCK_FILES[gpu])


def job_requirements(gpu=False):
    """What the job's pip installs: the options (PyTorch's index) and the pins for Linux on x86-64 of the lock of
    the CPU or (gpu) CUDA 12.6 build, in order."""
    text, python = job_lock(gpu)
    return lock_files.options(text), lock_files.pins_for_job(text, python)


def check_snapshot(source_dir=SOURCE_DIR):
    """The upload of source_dir stays within the snapshot limits; else stop, naming the largest files and the fix."""
    max_bytes, max_files, limit = sdk.snapshot_limits()
    files, ignore = snapshot(source_dir)
    total = sum(size for _, size in files)
    if total <= max_bytes and len(files) <= max_files:
        return files, total
    if total > max_bytes:  # the largest files whose removal brings it under the limit
        culprits, remaining = [], total
        for path, size in sorted(files, key=lambda item: -item[1]):
            if remaining <= max_bytes:
                break
            culprits.append(path)
            remaining -= size
        problem = (
            f"the snapshot of src/ is {total / 2**20:.0f} MB, over {limit} of {max_bytes / 2**20:.0f} MB; largest: "
            + ", ".join(f"{path} ({dict(files)[path] / 2**20:.0f} MB)" for path in culprits)
        )
    else:  # the folders with the most files
        counts = {}
        for path, _ in files:
            counts[path.split(os.sep)[0]] = counts.get(path.split(os.sep)[0], 0) + 1
        culprits = [top for top in sorted(counts, key=lambda top: -counts[top]) if (Path(source_dir) / top).is_dir()]
        culprits = culprits[:3]
        most = ", ".join(f"{top} ({counts[top]} files)" for top in culprits)
        problem = f"the snapshot of src/ has {len(files)} files, over {limit} of {max_files}; most are in {most}"
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
    excluded, ignore = sdk.ignore_rules(source_dir)
    files = []

    def walk(folder):
        for name in sorted(os.listdir(folder)):
            path = os.path.normpath(os.path.join(folder, name))
            if excluded(path):
                continue
            if os.path.isfile(path):
                files.append((os.path.relpath(path, source_dir), os.path.getsize(path)))
            else:
                walk(path)

    walk(str(source_dir))
    return files, ignore


def print_snapshot(files, ignore):
    """Print the files to be uploaded from src/, with their sizes and the ignore file that chose them."""
    rule = f"ignore rules from {ignore.name}" if ignore else "no ignore file"
    total = sum(size for _, size in files)
    print(f"snapshot:     {len(files)} files, {total / 1024:.1f} KiB ({rule})")
    for path, size in files:
        print(f"    {size:>10,d}  {path}")
