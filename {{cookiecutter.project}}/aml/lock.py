"""Make the lock: every package of the training environment at one version, for PyTorch's CPU and CUDA 12.6 builds.

    python aml/lock.py            # make .azureml/lock/*.txt again from the ranges (needs uv and PyPI)
    python aml/lock.py --check    # exit 1 when the lock no longer agrees with the files it was made from (offline)
    python aml/lock.py --as-of 2026-12-06T22:45:00Z   # the same lock again: PyPI as it was then
    python aml/lock.py --verify-builds   # PyTorch's index has each build's wheels of the locked release

uv resolves .azureml/pytorch-env.yml with the tools of .azureml/dev-tools.txt for every platform, at the lock's
torch release (or --torch), without PyPI's CUDA libraries; each build's lock names PyTorch's own wheels of that
release (+cpu, +cu126). The serving environment (.azureml/serving-env.yml) is locked on its own, at that release.
It runs as a file, needing nothing installed but uv (aml/lock_files.py reads the lock).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling, also where -P leaves the script's folder out
from lock_files import (  # noqa: E402
    BUILDS,
    ENV_FILE,
    FROM,
    LOCK_DIR,
    PYTORCH,
    PYTORCH_INDEX,
    REFRESH,
    ROOT,
    SERVING_ENV_FILE,
    SERVING_LOCK,
    TOOLS_FILE,
    TOOLS_LOCK,
    current_torch_release,
    disagreement,
    fingerprint,
    lock_file,
    pinned_version,
    pins,
    pip_requirements,
    python_version,
    requirement_lines,
)

CUDA_LIBRARIES = ("nvidia-", "triton")  # what PyPI's Linux x86-64 torch needs, by name (prefix)
PIP_TIMEOUT_S = 120  # for each look-up in an index (pip retries within it)
UV_TIMEOUT_S = 600  # for each resolution; uv's own requests give up after UV_HTTP_TIMEOUT (30 s)


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


def compile_with_uv(uv, requirements, python, as_of, folder, excludes=(), constraints=None):
    """uv pip compile of the requirements (a list) for every platform from python up, with what PyPI had at as_of;
    the output's text."""
    source = Path(folder) / "requirements.in"
    source.write_text("".join(f"{line}\n" for line in requirements), encoding="utf-8")
    command = [uv, "pip", "compile", source.name, "--universal", "--python-version", python, "--quiet", "--no-annotate"]
    command += ["--custom-compile-command", REFRESH, "--exclude-newer", as_of, "--system-certs"]  # a proxy's CA too
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


def build_lock(resolved, build, source_line, environment="training"):
    """A build's lock from uv's resolution at PyPI's torch: its index line, then every pin, PyTorch's own labelled;
    build None: the tools' lock, which has no PyTorch."""
    labels = BUILDS.get(build, {})
    what = {"cpu": "PyTorch's CPU build", "cu126": "PyTorch's CUDA 12.6 build"}.get(build)
    title = f"The {environment} environment with {what}" if what else "The dev container's and CI's tools"
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
    serving_text = SERVING_ENV_FILE.read_text(encoding="utf-8")
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
        # the serving environment: its own, at the same torch release
        serving = compile_with_uv(uv, pip_requirements(serving_text), python, as_of, folder, cuda, torch_pin)
    source_line = (
        f"{FROM} {Path(env_file).name} (Python {python} and up) and {Path(tools_file).name}, "
        f"sha256 {fingerprint(env_text, tools_text)}, PyPI as of {as_of}"
    )
    locks = {lock_dir / f"{build}.txt": build_lock(resolved, build, source_line) for build in BUILDS}
    locks[lock_dir / TOOLS_LOCK.name] = build_lock(tools, None, source_line)
    serving_line = (
        f"{FROM} {SERVING_ENV_FILE.name} (Python {python} and up), sha256 {fingerprint(serving_text)}, "
        f"PyPI as of {as_of}"
    )
    locks[lock_dir / SERVING_LOCK.name] = build_lock(serving, "cpu", serving_line, "serving")
    return locks


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


def missing_builds(python, release, index=PYTORCH_INDEX):
    """The wheels of PyTorch's builds that its index lacks for the locked release, as lines (none: all there)."""
    missing = []
    versions = {
        "torch": release,
        "torchvision": pinned_version(lock_file("cpu").read_text(encoding="utf-8"), "torchvision"),
    }
    bare = {**os.environ, "PIP_CONFIG_FILE": os.devnull}  # a pip that reads no configuration: only this index
    for build, labels in BUILDS.items():
        for machine, label in labels.items():
            platform = f"manylinux_2_28_{machine}"
            for package, version in versions.items():
                wanted = f"{version}{label}"
                command = [sys.executable, "-m", "pip", "index", "versions", package, "--index-url", f"{index}/{build}"]
                command += ["--platform", platform, "--python-version", python, "--only-binary=:all:"]
                command += ["--disable-pip-version-check", "--no-input", "--retries", "2", "--timeout", "30"]
                try:
                    found = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, env=bare)
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
        print(f"The lock agrees with {ENV_FILE.name}, {TOOLS_FILE.name} and {SERVING_ENV_FILE.name}.")
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
