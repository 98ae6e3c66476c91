"""The conda environments, training's and serving's: they resolve today and match what the code imports and what runs
the tests."""

import re
import sys
from importlib import metadata

from aml import serving
from aml.preflight import PACKAGES, imported, with_local_imports  # the pre-flight check's own map and reading

import yaml
from conftest import ROOT, SRC
from packaging.requirements import Requirement

ENV = yaml.safe_load((ROOT / ".azureml" / "pytorch-env.yml").read_text())
PIP = [Requirement(line) for line in next(d["pip"] for d in ENV["dependencies"] if isinstance(d, dict))]
# The project's one Python version, as ruff.toml's target-version names it (py311: 3.11).
PYTHON = ".".join(re.search(r'(?m)^target-version = "py(\d)(\d+)"', (ROOT / "ruff.toml").read_text()).groups())


def test_environment_uses_conda_forge_and_pip_only():
    assert ENV["channels"] == ["conda-forge", "nodefaults"]
    assert [d for d in ENV["dependencies"] if isinstance(d, str)] == [f"python={PYTHON}", "pip"]


def third_party_packages(names):
    """The packages (by PACKAGES) of what these files of src/ import beyond src/ and the standard library."""
    modules = set().union(*(imported(SRC / name) for name in names))
    third_party = modules - {path.stem for path in SRC.glob("*.py")} - set(sys.stdlib_module_names)
    assert third_party <= set(PACKAGES), f"not in the environment: {third_party - set(PACKAGES)}"
    return {PACKAGES[name] for name in third_party}


def test_environment_names_every_package_the_training_code_imports():
    training = [path.name for path in SRC.glob("*.py") if path.name != serving.ENTRY_SCRIPT]
    assert third_party_packages(training) <= {req.name for req in PIP}


def test_the_serving_environment_is_its_own_and_names_what_score_py_and_its_modules_import_and_no_more():
    env = yaml.safe_load(serving.ENV_FILE.read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"] and env["name"] != ENV["name"]
    assert [d for d in env["dependencies"] if isinstance(d, str)] == [f"python={PYTHON}", "pip"]
    named = {Requirement(line).name for line in next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))}
    assert named == third_party_packages(with_local_imports(serving.ENTRY_SCRIPT))
    assert "torchvision" not in named and "azureml-inference-server-http" not in {req.name for req in PIP}


def test_the_python_running_the_tests_satisfies_the_environment():
    for req in PIP:
        version = metadata.version(req.name)
        assert req.specifier.contains(version, prereleases=True), f"{req.name} {version} is not {req.specifier}"
