"""The lock: every package of the training environment at one version, for PyTorch's CPU and CUDA 12.6 builds.

    python aml/lock.py            # make .azureml/lock/*.txt again from the ranges (needs uv and PyPI)
    python aml/lock.py --check    # exit 1 when the lock no longer agrees with the files it was made from (offline)
    python aml/lock.py --as-of 2026-12-06T22:45:00Z   # the same lock again: PyPI as it was then
    python aml/lock.py --verify-builds   # PyTorch's index has each build's wheels of the locked release

uv resolves the pip list of .azureml/pytorch-env.yml once, for every platform (`uv pip compile --universal`), at
the torch release of the lock in place (or --torch RELEASE). Each build's lock is that list with PyTorch's own
wheels of the same release: `+cpu` or `+cu126` from PyPI's mirror of PyTorch (the index line at its top). The
CUDA libraries that PyPI's torch would bring (nvidia-*, triton) are left out of the resolution: the CUDA 12.6 build
pins its own exactly, and the CPU build has none. The tools of the dev container and CI (.azureml/dev-tools.txt)
are locked in a file of their own, at the versions of the environment's lock. It runs as a file, needing nothing
installed but uv; the control scripts import it to read the lock.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".azureml" / "pytorch-env.yml"
TOOLS_FILE = ROOT / ".azureml" / "dev-tools.txt"
LOCK_DIR = ROOT / ".azureml" / "lock"
TOOLS_LOCK = LOCK_DIR / "dev-tools.txt"
REFRESH = "python aml/lock.py"
# PyTorch's builds: each one's index and the label of its wheels on each machine. On Linux arm64 (and macOS),
# PyTorch's CPU wheels are the plain release, which PyPI has too.
PYTORCH_INDEX = "https://download.pytorch.org/whl"
BUILDS = {
    "cpu": {"x86_64": "+cpu", "other": ""},
    "cu126": {"x86_64": "+cu126"},  # runs on NVIDIA driver 525 or newer; Azure ML's GPU nodes run 535
}
PYTORCH = ("torch", "torchvision")  # the packages each build has its own wheels of
CUDA_LIBRARIES = ("nvidia-", "triton")  # what PyPI's Linux x86-64 torch needs, by name (prefix)
# The wheels each build's lock asks for, by platform tag: PyTorch's labelled ones, or (arm64) the plain release
WHEELS = {
    "cpu": {"manylinux_2_28_x86_64": "+cpu", "manylinux_2_28_aarch64": ""},
    "cu126": {"manylinux_2_28_x86_64": "+cu126"},
}
PIP_TIMEOUT_S = 120  # for each look-up in an index (pip retries within it)
UV_TIMEOUT_S = 600  # for each resolution; uv's own requests give up after UV_HTTP_TIMEOUT (30 s)
FROM = "# made from"  # the line of each lock that names its sources and their fingerprint
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


def fingerprint(env_text, tools_text):
    """The SHA-256 of what a lock is made from: the environment's pip list and the tools' list."""
    sources = [*pip_requirements(env_text), "--", *requirement_lines(tools_text)]
    return hashlib.sha256("\n".join(sources).encode()).hexdigest()


def pins(text):
    """The requirement lines of a lock (options and comments aside), markers kept."""
    return [line for line in requirement_lines(text) if not line.startswith("-")]


def options(text):
    """The option lines of a lock, such as its --extra-index-url."""
    return [line for line in requirement_lines(text) if line.startswith("-")]


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
    found = re.search(rf"(?m)^{FROM} .*sha256 ([0-9a-f]{{64}})", text)
    return found.group(1) if found else None


def python_floor(text):
    """The lowest Python a lock's text says it holds for (its `# made from` line), as a tuple, or None."""
    found = re.search(rf"(?m)^{FROM} .*\(Python ([0-9.]+) and up\)", text)
    return version_tuple(found.group(1)) if found else None


def version_tuple(version):
    """3.11 as (3, 11)."""
    return tuple(int(part) for part in version.split("."))


def disagreement(env_file=ENV_FILE, tools_file=TOOLS_FILE, lock_dir=None):
    """Why the lock does not agree with the files it is made from (one line), or None when it does."""
    lock_dir = Path(lock_dir) if lock_dir else LOCK_DIR
    env_text = Path(env_file).read_text(encoding="utf-8")
    wanted = fingerprint(env_text, Path(tools_file).read_text(encoding="utf-8"))
    python = python_version(env_text)
    for path in [lock_dir / f"{build}.txt" for build in BUILDS] + [lock_dir / TOOLS_LOCK.name]:
        if not path.is_file():
            return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} is missing"
        text = path.read_text(encoding="utf-8")
        if recorded_fingerprint(text) != wanted:
            return (
                f"{path.name} in {lock_dir.name}/ was made from another pip list than {Path(env_file).name}'s "
                f"and {Path(tools_file).name}'s"
            )
        floor = python_floor(text)
        if python is None or floor is None or version_tuple(python) < floor:
            return (
                f"{path.name} in {lock_dir.name}/ holds for Python {'.'.join(map(str, floor or ()))} and up, "
                f"and {Path(env_file).name} asks for Python {python}"
            )
    return None


def uv_binary():
    """uv's executable: the `uv` package's, else one on PATH; stop with the install command without it."""
    try:
        import uv  # noqa: PLC0415  (only making the lock needs it)

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise SystemExit(
        "error: making the lock needs uv, which is not installed\nfix: python -m pip install uv, then run again"
    )


def as_of_date(text):
    """The moment of PyPI a lock's text was resolved at (its `# made from` line), as written there, or None."""
    found = re.search(rf"(?m)^{FROM} .*, PyPI as of (\S+)$", text)
    return found.group(1) if found else None


def compile_with_uv(uv, requirements, python, as_of, folder, excludes=(), constraints=None):
    """uv pip compile of the requirements (a list) for every platform from python up, with what PyPI had at as_of;
    the output's text."""
    source = Path(folder) / "requirements.in"
    source.write_text("".join(f"{line}\n" for line in requirements), encoding="utf-8")
    command = [uv, "pip", "compile", source.name, "--universal", "--python-version", python, "--quiet", "--no-annotate"]
    command += ["--custom-compile-command", REFRESH, "--exclude-newer", as_of]
    if excludes:
        (Path(folder) / "excludes.txt").write_text("".join(f"{name}\n" for name in excludes), encoding="utf-8")
        command += ["--excludes", "excludes.txt"]
    if constraints is not None:
        (Path(folder) / "constraints.txt").write_text(constraints, encoding="utf-8")
        command += ["--constraints", "constraints.txt"]
    try:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=UV_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise SystemExit(
            f"error: uv found no answer within {UV_TIMEOUT_S} s\nfix: check the network connection, then run again"
        ) from None
    if done.returncode != 0:
        why = [line.strip() for line in done.stderr.splitlines() if line.strip()] or ["(no message)"]
        raise SystemExit(
            f"error: uv could not resolve the environment: {' '.join(why)[:600]}\n"
            "fix: check the network connection (uv reaches PyPI) and the version ranges named, then run again"
        )
    return done.stdout


def build_lock(resolved, build, source_line):
    """A build's lock from uv's resolution at PyPI's torch: its index line, then every pin, PyTorch's own labelled;
    build None: the tools' lock, which has no PyTorch."""
    labels = BUILDS.get(build, {})
    what = {"cpu": "PyTorch's CPU build", "cu126": "PyTorch's CUDA 12.6 build"}.get(build)
    title = f"The training environment with {what}" if what else "The dev container's and CI's tools"
    lines = [f"# {title}, every package at one version. Made by `{REFRESH}`: do not edit.", source_line]
    lines += [f"--extra-index-url {PYTORCH_INDEX}/{build}"] if what else []
    for line in resolved.splitlines():
        name = re.match(r"([A-Za-z0-9_.-]+)==([^\s;]+)", line)
        if name and name.group(1).lower() in PYTORCH:
            for machine, label in labels.items():
                where = "platform_machine == 'x86_64'" if machine == "x86_64" else "platform_machine != 'x86_64'"
                lines.append(f"{line}{label} ; {where}" if len(labels) > 1 else f"{line}{label}")
        elif not line.startswith("# This file was autogenerated") and not line.startswith(f"#    {REFRESH}"):
            lines.append(line)
    return "\n".join(lines).rstrip() + "\n"


def make_locks(torch_release=None, as_of=None, env_file=ENV_FILE, tools_file=TOOLS_FILE, lock_dir=None):
    """Resolve with uv (PyPI as it was at as_of, default now) and return {path: text} for every lock."""
    lock_dir = Path(lock_dir) if lock_dir else LOCK_DIR
    env_text = Path(env_file).read_text(encoding="utf-8")
    tools_text = Path(tools_file).read_text(encoding="utf-8")
    python = python_version(env_text)
    requirements = pip_requirements(env_text)
    if python is None or not requirements:
        raise SystemExit(
            f"error: {Path(env_file).name} has no `- python=X.Y` entry or no `- pip:` list\n"
            f"fix: restore them (git checkout -- {Path(env_file).relative_to(ROOT).as_posix()}), then run again"
        )
    release = torch_release or current_torch_release(lock_dir)
    if release is None:
        raise SystemExit(
            "error: there is no lock yet to take the torch release from\n"
            "fix: name it: python aml/lock.py --torch 2.9.1 (a release PyTorch builds for CPU and CUDA 12.6)"
        )
    as_of = as_of or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    uv = uv_binary()
    with tempfile.TemporaryDirectory() as folder:
        # environment and tools resolved together, so that they can be installed together; then each on its own
        # at those versions
        torch_pin, tool_list = f"torch=={release}\n", requirement_lines(tools_text)
        first = compile_with_uv(uv, requirements + tool_list, python, as_of, folder, constraints=torch_pin)
        cuda = sorted({line.split("==")[0] for line in pins(first) if line.lower().startswith(CUDA_LIBRARIES)})
        both = compile_with_uv(uv, requirements + tool_list, python, as_of, folder, cuda, constraints=torch_pin)
        resolved = compile_with_uv(uv, requirements, python, as_of, folder, cuda, constraints=both)
        tools = compile_with_uv(uv, tool_list, python, as_of, folder, cuda, constraints=both)
    source_line = (
        f"{FROM} {Path(env_file).name} (Python {python} and up) and {Path(tools_file).name}, "
        f"sha256 {fingerprint(env_text, tools_text)}, PyPI as of {as_of}"
    )
    locks = {lock_dir / f"{build}.txt": build_lock(resolved, build, source_line) for build in BUILDS}
    locks[lock_dir / TOOLS_LOCK.name] = build_lock(tools, None, source_line)
    return locks


def current_torch_release(lock_dir=None):
    """The torch release of the CPU lock in place, or None without one."""
    path = (Path(lock_dir) if lock_dir else LOCK_DIR) / "cpu.txt"
    return pinned_version(path.read_text(encoding="utf-8"), "torch") if path.is_file() else None


def write_all(locks):
    """Write every lock, each through a temporary file, so that an interrupted run leaves the old ones whole."""
    staged = []
    for path, text in locks.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".new")
        temporary.write_text(text, encoding="utf-8", newline="\n")
        staged.append((temporary, path))
    for temporary, path in staged:
        temporary.replace(path)


def pip_without_config():
    """The environment for a pip that reads no configuration file: only the index it is given."""
    return {**os.environ, "PIP_CONFIG_FILE": os.devnull}


def missing_builds(python, release, index=PYTORCH_INDEX):
    """The wheels of PyTorch's builds that its index lacks for the locked release, as lines (none: all there)."""
    missing = []
    versions = {
        "torch": release,
        "torchvision": pinned_version(lock_file("cpu").read_text(encoding="utf-8"), "torchvision"),
    }
    for build, wheels in WHEELS.items():
        for platform, label in wheels.items():
            for package, version in versions.items():
                wanted = f"{version}{label}"
                command = [sys.executable, "-m", "pip", "index", "versions", package, "--index-url", f"{index}/{build}"]
                command += ["--platform", platform, "--python-version", python, "--only-binary=:all:"]
                command += ["--disable-pip-version-check", "--no-input", "--retries", "2", "--timeout", "30"]
                try:
                    found = subprocess.run(
                        command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, env=pip_without_config()
                    )
                except subprocess.TimeoutExpired:
                    found = None
                listed = re.search(r"(?m)^Available versions: (.*)$", found.stdout if found else "")
                available = [v.strip() for v in listed.group(1).split(",")] if listed else []
                # the plain release (arm64) is any wheel of it there, labelled or not
                if not any(v == wanted or (not label and v.split("+")[0] == version) for v in available):
                    missing.append(f"{package}=={wanted} for {platform}, Python {python} ({index}/{build})")
    return missing


def main(argv=None):
    """Make the locks again (or, with --check, say whether they agree with their sources); exit status 1 if not."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check, offline, that the lock agrees; change none")
    parser.add_argument("--torch", metavar="RELEASE", help="lock this torch release (default: the lock's own)")
    parser.add_argument(
        "--verify-builds", action="store_true", help="check that PyTorch's index has the wheels each lock asks for"
    )
    parser.add_argument("--pytorch-index", default=PYTORCH_INDEX, help=argparse.SUPPRESS)  # a mirror, or a test's
    parser.add_argument(
        "--as-of", metavar="TIME", help="resolve with what PyPI had then, e.g. the lock's own date (default: now)"
    )
    args = parser.parse_args(argv)
    if args.check:
        problem = disagreement()
        if problem:
            print(f"error: the lock is out of date: {problem}\nfix: {REFRESH}", file=sys.stderr)
            return 1
        print(f"The lock agrees with {ENV_FILE.name} and {TOOLS_FILE.name}.")
        return 0
    if args.verify_builds:
        python = python_version(ENV_FILE.read_text(encoding="utf-8")) or "3"
        release = current_torch_release()
        missing = missing_builds(python, release, args.pytorch_index)
        if missing:
            print(f"error: PyTorch's index lacks wheels the lock asks for: {'; '.join(missing)}", file=sys.stderr)
            print(
                f"fix: lock a release it has: {REFRESH} --torch RELEASE (check the network if it is there)",
                file=sys.stderr,
            )
            return 1
        print(f"PyTorch's index has torch {release} and its torchvision for every build of the lock.")
        return 0
    locks = make_locks(args.torch, args.as_of)
    changed = [path for path, text in locks.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
    write_all(locks)
    release = pinned_version(locks[lock_file("cpu")], "torch")
    names = ", ".join(path.relative_to(ROOT).as_posix() for path in changed) or "none changed"
    print(f"Locked torch {release} for CPU and CUDA 12.6, {len(pins(locks[lock_file('cpu')]))} pins: {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
