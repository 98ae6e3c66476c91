"""The locks the template ships: what uv makes of each SDK's environment file (PyPI as it was when they were made),
and, PyTorch's wheels aside, an environment that pip installs into a fresh venv, consistently, at those versions."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import local_extensions
from conftest import bake, locked_here, normalized

LOCK_NAMES = ("cpu.txt", "cu126.txt", "dev-tools.txt", "serving.txt")
PYTORCH = ("torch", "torchvision")  # their builds lie behind PyTorch's index, which these machines cannot reach
LOWEST_PYTHON = local_extensions.PYTHON_VERSIONS[0]  # the template's locks hold for it and later ones


def made_at(lock_text):
    """The moment of PyPI a lock was made with (its `# made from` line)."""
    return re.search(r"(?m)^# made from .*, PyPI as of (\S+)$", lock_text).group(1)


@pytest.mark.slow
@pytest.mark.parametrize("sdk", local_extensions.SDKS)
def test_the_templates_locks_are_what_uv_makes_of_the_environment_file_at_their_moment(tmp_path, sdk):
    """The project's own `python aml/lock.py`, with uv and PyPI as they were when the locks were made, makes the
    template's locks again byte for byte: they are the locker's output, with nothing edited by hand."""
    project = bake(tmp_path, sdk=sdk, python_version=LOWEST_PYTHON)
    shipped = {name: (project / ".azureml/lock" / name).read_text() for name in LOCK_NAMES}
    moments = {made_at(text) for text in shipped.values()}
    assert len(moments) == 1, moments
    uv_folder = str(Path(sys.executable).parent)  # uv from requirements-dev.txt
    result = subprocess.run([sys.executable, "aml/lock.py", "--as-of", moments.pop()], cwd=project, capture_output=True,
                            text=True, timeout=900, env={**os.environ, "PATH": uv_folder + os.pathsep + os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(": none changed\n"), result.stdout
    assert {name: (project / ".azureml/lock" / name).read_text() for name in LOCK_NAMES} == shipped


@pytest.mark.slow
@pytest.mark.parametrize("sdk", local_extensions.SDKS)
def test_the_cpu_locks_packages_but_pytorchs_install_into_a_fresh_venv_consistently_at_their_versions(tmp_path, sdk):
    """Every package of the CPU lock but torch and torchvision (and its index line, for them), from PyPI, into a new
    virtual environment: pip check finds nothing amiss, and each is at the version the lock names."""
    project = bake(tmp_path / "baked", sdk=sdk)
    text = (project / ".azureml/lock/cpu.txt").read_text()
    wanted = {name: version for name, version in locked_here(text).items() if name not in PYTORCH}
    requirements = tmp_path / "without-pytorch.txt"
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in wanted.items()))
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, timeout=300)
    python = tmp_path / "venv" / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r",
                              str(requirements)], capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    check = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    listing = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True,
                             check=True, timeout=300).stdout
    installed = {normalized(item["name"]): item["version"] for item in json.loads(listing)}
    assert {name: (version, installed.get(name)) for name, version in wanted.items()
            if installed.get(name) != version} == {}
    assert not {"torch", "torchvision", "azure-ai-ml", "pytest"} & set(installed)  # the job's packages, no more
