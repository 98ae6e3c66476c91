"""The one conda environment: it resolves today and matches what the code imports and what runs the tests."""

import ast
import re
import sys
from importlib import metadata

from aml.preflight import PACKAGES  # the one map of module to package, which the pre-flight check applies too

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


def test_environment_names_every_package_the_training_code_imports():
    imported = set()
    for path in SRC.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    local = {path.stem for path in SRC.glob("*.py")}
    third_party = imported - local - set(sys.stdlib_module_names)
    assert third_party <= set(PACKAGES), f"not in the environment: {third_party - set(PACKAGES)}"
    assert {PACKAGES[name] for name in third_party} <= {req.name for req in PIP}


def test_the_python_running_the_tests_satisfies_the_environment():
    for req in PIP:
        version = metadata.version(req.name)
        assert req.specifier.contains(version, prereleases=True), f"{req.name} {version} is not {req.specifier}"
