"""The lock: it agrees with the environment file, pins each package once at one version, one torch release for
both builds, and a stale lock stops a submission before anything is sent."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from aml import lock_files as lock
from aml import serving
from aml.preflight import PACKAGES, job_requirements

import pytest
import yaml
from conftest import ROOT, SRC, run_script
from packaging.requirements import Requirement
from script_helpers import JOB_MARKERS, job_lock_lines

LOCKS = ROOT / ".azureml" / "lock"
BUILDS = {"cpu": "https://download.pytorch.org/whl/cpu", "cu126": "https://download.pytorch.org/whl/cu126"}
ENV = yaml.safe_load((ROOT / ".azureml" / "pytorch-env.yml").read_text())
ENV_PIP = [Requirement(line) for line in next(d["pip"] for d in ENV["dependencies"] if isinstance(d, dict))]
PYTHON = next(d for d in ENV["dependencies"] if isinstance(d, str) and d.startswith("python="))[len("python=") :]
METRICS_CLIENTS = {"azureml-core", "mlflow", "azureml-mlflow"}  # each SDK's: run.log's, or MLflow's and its plug-in


def locked(build, markers):
    """{package: version} that a lock installs where `markers` hold (a package twice is an error)."""
    found = {}
    for line in (LOCKS / f"{build}.txt").read_text().splitlines():
        if not line.strip() or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(markers):
            assert requirement.name not in found, f"{requirement.name} is pinned twice in {build}.txt"
            [(operator, version)] = [(spec.operator, spec.version) for spec in requirement.specifier]
            assert operator == "==", line
            found[requirement.name] = version
    return found


# Where the locks are installed: Azure ML's nodes and the x86-64 dev container, and the arm64 one (Apple silicon)
PLATFORMS = {"x86_64": {**JOB_MARKERS}, "aarch64": {**JOB_MARKERS, "platform_machine": "aarch64"}}
for _markers in PLATFORMS.values():
    _markers.update(python_version=PYTHON, python_full_version=f"{PYTHON}.0", implementation_version=f"{PYTHON}.0")


def test_the_lock_agrees_with_the_environment_file_and_the_tools_list():
    # -I -S: the check needs nothing installed, as in a fresh checkout
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(ROOT / "aml" / "lock.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The lock agrees with pytorch-env.yml, dev-tools.txt and serving-env.yml.\n"


@pytest.mark.parametrize("build, machine", [("cpu", "x86_64"), ("cpu", "aarch64"), ("cu126", "x86_64")])
def test_every_range_of_the_environment_file_holds_the_version_its_lock_installs(build, machine):
    versions = locked(build, PLATFORMS[machine])
    for requirement in ENV_PIP:
        version = versions[requirement.name]
        assert requirement.specifier.contains(version, prereleases=True), f"{requirement.name} {version}"


def test_both_builds_lock_one_torch_release_and_the_same_versions_of_everything_else():
    cpu, cuda = locked("cpu", PLATFORMS["x86_64"]), locked("cu126", PLATFORMS["x86_64"])
    assert cpu.keys() == cuda.keys()
    assert {name: version for name, version in cpu.items() if cuda[name] != version} == {
        "torch": cuda["torch"].replace("+cu126", "+cpu"),
        "torchvision": cuda["torchvision"].replace("+cu126", "+cpu"),
    }
    assert cuda["torch"].endswith("+cu126") and cuda["torchvision"].endswith("+cu126")
    arm = locked("cpu", PLATFORMS["aarch64"])  # the plain release: PyTorch's CPU wheels for arm64 (also on PyPI)
    assert (arm["torch"], arm["torchvision"]) == (cpu["torch"].removesuffix("+cpu"), cpu["torchvision"][:-4])


@pytest.mark.parametrize("build", BUILDS)
def test_each_lock_names_the_index_of_its_pytorch_build_and_no_other_option(build):
    options = [line for line in (LOCKS / f"{build}.txt").read_text().splitlines() if line.startswith("-")]
    assert options == [f"--extra-index-url {BUILDS[build]}"]


@pytest.mark.parametrize("gpu, build", [(False, "cpu"), (True, "cu126")])
def test_a_job_gets_only_exact_pins_one_line_for_each_package(gpu, build):
    options, pins = job_requirements(gpu)
    assert options == [f"--extra-index-url {BUILDS[build]}"] and [*options, *pins] == job_lock_lines(build)
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+", pin) for pin in pins), pins
    names = [pin.split("==")[0].lower() for pin in pins]
    assert len(names) == len(set(names)) and {"torch", "torchvision"} <= set(names)


def imported_by_training():
    """The third-party packages that src/'s training code imports (score.py has its own environment)."""
    modules = set()
    for path in SRC.glob("*.py"):
        if path.name != serving.ENTRY_SCRIPT:
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names += [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
                modules |= {name.split(".")[0] for name in names}
    local = {path.stem for path in SRC.glob("*.py")}
    return {PACKAGES[module] for module in modules - local - set(sys.stdlib_module_names)}


def test_the_environment_file_names_what_src_imports_and_the_metrics_client_only():
    named = {requirement.name for requirement in ENV_PIP}
    assert named - METRICS_CLIENTS == imported_by_training() - METRICS_CLIENTS
    assert named & METRICS_CLIENTS  # the SDK's metrics client
    control_only = {"azure-ai-ml", "azure-identity", "pyyaml", "pytest", "pre-commit", "uv"}
    assert not named & control_only


def test_after_an_edit_of_the_environment_file_the_check_and_a_dry_run_stop_with_the_refresh_command(
    project_copy, offline
):
    env_file = project_copy / ".azureml" / "pytorch-env.yml"
    env_file.write_text(env_file.read_text().replace("      - tqdm>=4.60\n", "      - tqdm>=4.60\n      - rich>=13\n"))
    check = subprocess.run([sys.executable, "aml/lock.py", "--check"], cwd=project_copy, capture_output=True, text=True)
    assert check.returncode == 1 and check.stdout == ""
    assert check.stderr.splitlines() == [
        "error: the lock is out of date: cpu.txt in lock/ was made from another pip list than pytorch-env.yml's "
        "and dev-tools.txt's",
        "fix: python aml/lock.py",
    ]
    env, network_log = offline
    result = run_script("04-run-pytorch.py", "--dry-run", cwd=project_copy, env=env)
    assert result.returncode == 1 and not network_log.exists()
    assert result.stderr.splitlines() == [
        "error: the lock is out of date: cpu.txt in lock/ was made from another pip list than pytorch-env.yml's "
        "and dev-tools.txt's",
        "fix: make it again: python aml/lock.py (the VS Code task: Lock the environment)",
    ]


def test_a_lock_for_a_later_python_than_the_environments_is_out_of_date(tmp_path):
    for name in ("cpu.txt", "cu126.txt", "dev-tools.txt"):
        text = (LOCKS / name).read_text()
        (tmp_path / name).write_text(re.sub(r"\(Python [0-9.]+ and up\)", "(Python 3.99 and up)", text))
    problem = lock.disagreement(lock_dir=tmp_path)
    assert (
        problem
        == f"cpu.txt in {tmp_path.name}/ holds for Python 3.99 and up, and pytorch-env.yml asks for Python {PYTHON}"
    )


def test_the_lock_says_when_it_was_made_so_that_it_can_be_made_again():
    for name in ("cpu.txt", "cu126.txt", "dev-tools.txt"):
        text = (LOCKS / name).read_text()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lock.as_of_date(text)), name
        assert lock.python_floor(text) <= tuple(map(int, PYTHON.split(".")))


def write_index(folder, wheels):
    """A package index in folder (PEP 503's simple layout) that lists the wheel files named, by build and package;
    the files are not there, as pip lists versions from the names alone."""
    for build, names in wheels.items():
        for name in names:
            package = name.split("-")[0]
            page = folder / build / package / "index.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            with page.open("a") as listing:
                listing.write(f'<a href="{name.replace("+", "%2B")}">{name}</a>\n')


def pytorch_wheels(tag):
    """The wheel names PyTorch's index has for the locked release and the environment's Python, by build."""
    text = (LOCKS / "cpu.txt").read_text()
    torch, torchvision = lock.pinned_version(text, "torch"), lock.pinned_version(text, "torchvision")
    x86, arm = f"{tag}-{tag}-manylinux_2_28_x86_64.whl", f"{tag}-{tag}-manylinux_2_28_aarch64.whl"
    return {
        "cpu": [
            f"torch-{torch}+cpu-{x86}",
            f"torch-{torch}+cpu-{arm}",
            f"torchvision-{torchvision}+cpu-{x86}",
            f"torchvision-{torchvision}-{arm}",
        ],
        "cu126": [f"torch-{torch}+cu126-{x86}", f"torchvision-{torchvision}+cu126-{x86}"],
    }


def test_verify_builds_finds_every_builds_wheels_in_pytorchs_index_and_names_one_it_lacks(tmp_path):
    tag = "cp" + PYTHON.replace(".", "")
    wheels = pytorch_wheels(tag)
    write_index(tmp_path / "whole", wheels)
    command = [sys.executable, str(ROOT / "aml" / "lock.py"), "--verify-builds", "--pytorch-index"]
    found = subprocess.run([*command, (tmp_path / "whole").as_uri()], capture_output=True, text=True, timeout=600)
    assert found.returncode == 0, found.stderr
    release = lock.current_torch_release()
    assert found.stdout == f"PyTorch's index has torch {release} and its torchvision for every build of the lock.\n"
    wheels["cu126"] = wheels["cu126"][:1]  # no CUDA 12.6 torchvision of that release
    write_index(tmp_path / "short", wheels)
    short = subprocess.run([*command, (tmp_path / "short").as_uri()], capture_output=True, text=True, timeout=600)
    torchvision = lock.pinned_version((LOCKS / "cpu.txt").read_text(), "torchvision")
    assert short.returncode == 1 and short.stdout == ""
    assert short.stderr.splitlines() == [
        f"error: PyTorch's index lacks wheels the lock asks for: torchvision=={torchvision}+cu126 for "
        f"manylinux_2_28_x86_64, Python {PYTHON} ({(tmp_path / 'short').as_uri()}/cu126)",
        "fix: lock a release it has: python aml/lock.py --torch RELEASE (check the network if it is there)",
    ]


def test_making_the_lock_without_uv_or_without_pypi_says_so_in_one_message_and_keeps_the_lock(project_copy, tmp_path):
    before = {path.name: path.read_bytes() for path in (project_copy / ".azureml" / "lock").iterdir()}
    no_uv = {
        "PATH": os.pathsep.join(
            d
            for d in os.environ["PATH"].split(os.pathsep)
            if not (Path(d, "uv").exists() or Path(d, "uv.exe").exists())
        )
    }
    # -S: no site-packages, so not the uv package either
    without = run_script_isolated(project_copy, ["-S"], no_uv)
    assert without.returncode == 1 and without.stderr.splitlines() == [
        "error: making the lock needs uv, which is not installed",
        "fix: python -m pip install uv, then run again",
    ]
    unreachable = {"UV_DEFAULT_INDEX": "http://127.0.0.1:9/simple", "UV_NO_CACHE": "1", "UV_HTTP_RETRIES": "0"}
    offline = run_script_isolated(project_copy, [], unreachable)
    assert offline.returncode == 1 and "Traceback" not in offline.stderr
    problem, fix = offline.stderr.splitlines()
    assert problem.startswith("error: uv could not resolve the environment: ")
    assert fix == "fix: check the network connection (uv reaches PyPI) and the version ranges named, then run again"
    assert {path.name: path.read_bytes() for path in (project_copy / ".azureml" / "lock").iterdir()} == before


def run_script_isolated(project, flags, env):
    """python [flags] aml/lock.py in a project, with env added to this process's variables."""
    return subprocess.run(
        [sys.executable, *flags, "aml/lock.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
    )
