"""The lock's files and what they say: each build's pins, what they were made from, whether they still agree with
the environment file, and what a job on Azure ML installs of them. The control scripts read the lock with it, and
aml/lock.py, which makes the lock, too; it needs nothing installed but the standard library (and, for a job's
pins, packaging)."""

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".azureml" / "pytorch-env.yml"
TOOLS_FILE = ROOT / ".azureml" / "dev-tools.txt"
LOCK_DIR = ROOT / ".azureml" / "lock"
TOOLS_LOCK = LOCK_DIR / "dev-tools.txt"
SERVING_ENV_FILE = ROOT / ".azureml" / "serving-env.yml"  # src/score.py's environment, its own
SERVING_LOCK = LOCK_DIR / "serving.txt"  # with PyTorch's CPU build, the training locks' torch release
REFRESH = "python aml/lock.py"
# PyTorch's builds, each with its index and the label of its wheels by machine: on x86-64 PyTorch's own labelled
# wheels, on arm64 (and any other machine) the plain release, which PyTorch's CPU index and PyPI both have.
PYTORCH_INDEX = "https://download.pytorch.org/whl"
BUILDS = {
    "cpu": {"x86_64": "+cpu", "aarch64": ""},
    "cu126": {"x86_64": "+cu126"},  # runs on NVIDIA driver 525 or newer; Azure ML's GPU nodes run 535
}
PYTORCH = ("torch", "torchvision")  # the packages each build has its own wheels of
FROM = "# made from"  # the line of each lock that names its sources, their fingerprint and PyPI's moment
# Where an Azure ML job runs: Linux on x86-64 (the markers of PEP 508 that a lock's lines may have)
JOB_PLATFORM = {
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
}


def lock_file(build):
    """The lock of a build (cpu or cu126)."""
    return LOCK_DIR / f"{build}.txt"


def pip_requirements(text):
    """The entries of the `- pip:` list in the text of a conda environment file, without their comments."""
    requirements, indent = [], None
    for line in text.splitlines():
        stripped = line.split(" #")[0].strip()
        depth = len(line) - len(line.lstrip())
        if indent is None:
            if stripped.replace(" ", "") == "-pip:":
                indent = depth
            continue
        if stripped and depth <= indent:
            break  # the pip list ended
        if stripped.startswith("- "):
            requirements.append(stripped[2:].strip().strip("\"'"))
    return requirements


def python_version(text):
    """The Python version of a conda environment file's `- python=3.11` entry, or None."""
    found = re.search(r"(?m)^\s*-\s*python\s*=+\s*([0-9.]+)\s*$", text)
    return found.group(1) if found else None


def requirement_lines(text):
    """The requirements of a requirements file's text: its lines without comments and blank lines."""
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def fingerprint(env_text, tools_text=None):
    """The SHA-256 of what a lock is made from: an environment's pip list, and the tools' list (the training
    environment's locks) or none (the serving environment's)."""
    sources = [*pip_requirements(env_text), *(["--", *requirement_lines(tools_text)] if tools_text is not None else [])]
    return hashlib.sha256("\n".join(sources).encode()).hexdigest()


def pins(text):
    """The requirement lines of a lock (options and comments aside), markers kept."""
    return [line for line in requirement_lines(text) if not line.startswith("-")]


def options(text):
    """The option lines of a lock, such as its --extra-index-url."""
    return [line for line in requirement_lines(text) if line.startswith("-")]


def with_locked_pip(conda, lock_text, python):
    """A conda environment (as a dict) whose pip list is the lock's options and its pins for a job: the file's own
    options (such as an index) kept first."""
    entries = conda.setdefault("dependencies", [])
    pip = next((entry for entry in entries if isinstance(entry, dict) and "pip" in entry), None)
    if pip is None:
        pip = {"pip": []}
        entries.append(pip)
    kept = [spec for spec in pip["pip"] or [] if spec.startswith("-")]
    pip["pip"] = [*kept, *[option for option in options(lock_text) if option not in kept]]
    pip["pip"] += pins_for_job(lock_text, python)
    return conda


def pins_for_job(text, python):
    """The pins of a lock that a job installs (Linux, x86-64, CPython python), without their markers."""
    from packaging.markers import Marker  # noqa: PLC0415  (the control scripts have it; making the lock does not)

    full = python if python.count(".") == 2 else f"{python}.0"
    environment = {**JOB_PLATFORM, "python_version": ".".join(full.split(".")[:2]), "python_full_version": full}
    environment["implementation_version"] = full
    kept = []
    for line in pins(text):
        requirement, _, marker = (part.strip() for part in line.partition(";"))
        if not marker or Marker(marker).evaluate(environment):
            kept.append(requirement)
    return kept


def pinned_version(text, package):
    """The version a lock pins package at (its first line for it, local label aside), or None."""
    for line in pins(text):
        found = re.match(rf"{re.escape(package)}==([^\s;+]+)", line, re.IGNORECASE)
        if found:
            return found.group(1)
    return None


def recorded_fingerprint(text):
    """The fingerprint a lock's text names on its `# made from` line, or None."""
    found = re.search(r"(?m)^" + FROM + r" .*sha256 ([0-9a-f]{64})", text)
    return found.group(1) if found else None


def python_floor(text):
    """The lowest Python a lock's text says it holds for (its `# made from` line), as a tuple, or None."""
    found = re.search(rf"(?m)^{FROM} .*\(Python ([0-9.]+) and up\)", text)
    return version_tuple(found.group(1)) if found else None


def version_tuple(version):
    """3.11 as (3, 11)."""
    return tuple(int(part) for part in version.split("."))


def as_of_date(text):
    """The moment of PyPI a lock's text was resolved at (its `# made from` line), as written there, or None."""
    found = re.search(rf"(?m)^{FROM} .*, PyPI as of (\S+)$", text)
    return found.group(1) if found else None


def disagreement(env_file=ENV_FILE, tools_file=TOOLS_FILE, lock_dir=None, serving_file=SERVING_ENV_FILE):
    """Why the lock does not agree with the files it is made from (one line), or None when it does."""
    lock_dir = Path(lock_dir) if lock_dir else LOCK_DIR
    env_text = Path(env_file).read_text(encoding="utf-8")
    training = fingerprint(env_text, Path(tools_file).read_text(encoding="utf-8"))
    sources = f"{Path(env_file).name}'s and {Path(tools_file).name}'s"
    wanted = {lock_dir / f"{build}.txt": (training, sources) for build in BUILDS}
    wanted[lock_dir / TOOLS_LOCK.name] = (training, sources)
    serving = fingerprint(Path(serving_file).read_text(encoding="utf-8"))
    wanted[lock_dir / SERVING_LOCK.name] = (serving, f"{Path(serving_file).name}'s")
    python = python_version(env_text)
    for path, (made_from, sources) in wanted.items():
        if not path.is_file():
            return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} is missing"
        text = path.read_text(encoding="utf-8")
        if recorded_fingerprint(text) != made_from:
            return f"{path.name} in {lock_dir.name}/ was made from another pip list than {sources}"
        floor = python_floor(text)
        if python is None or floor is None or version_tuple(python) < floor:
            return (
                f"{path.name} in {lock_dir.name}/ holds for Python {'.'.join(map(str, floor or ()))} and up, "
                f"and {Path(env_file).name} asks for Python {python}"
            )
    return None


def current_torch_release(lock_dir=None):
    """The torch release of the CPU lock in place, or None without one."""
    path = (Path(lock_dir) if lock_dir else LOCK_DIR) / "cpu.txt"
    return pinned_version(path.read_text(encoding="utf-8"), "torch") if path.is_file() else None
