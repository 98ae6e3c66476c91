"""The one conda environment: it resolves today and matches what the code imports and what runs the tests."""

import ast
import sys
from importlib import metadata

import yaml
from conftest import ROOT, SRC
from packaging.requirements import Requirement
{%- if cookiecutter.sdk == "v2" %}
from packaging.utils import canonicalize_name
{%- endif %}

ENV = yaml.safe_load((ROOT / ".azureml" / "pytorch-env.yml").read_text())
PIP = [Requirement(line) for line in next(d["pip"] for d in ENV["dependencies"] if isinstance(d, dict))]
DISTRIBUTION = {
    "torch": "torch",
    "torchvision": "torchvision",
    "numpy": "numpy",
    "matplotlib": "matplotlib",
    "tqdm": "tqdm",
{%- if cookiecutter.sdk == "v1" %}
    "azureml": "azureml-core",
{%- else %}
    "mlflow": "mlflow",
{%- endif %}
}


def test_environment_uses_conda_forge_and_pip_only():
    assert ENV["channels"] == ["conda-forge", "nodefaults"]
    assert [d for d in ENV["dependencies"] if isinstance(d, str)] == ["python={{ cookiecutter.python_version }}", "pip"]


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
    assert third_party <= set(DISTRIBUTION), f"not in the environment: {third_party - set(DISTRIBUTION)}"
    assert {DISTRIBUTION[name] for name in third_party} <= {req.name for req in PIP}


def test_the_python_running_the_tests_satisfies_the_environment():
    for req in PIP:
        version = metadata.version(req.name)
        assert req.specifier.contains(version, prereleases=True), f"{req.name} {version} is not {req.specifier}"
{%- if cookiecutter.sdk == "v2" %}


def test_environment_has_the_plugin_that_takes_mlflows_metrics_to_azure_ml_in_a_job():
    stores = {ep.name: canonicalize_name(ep.dist.name) for ep in metadata.entry_points(group="mlflow.tracking_store")}
    assert stores.get("azureml") == "azureml-mlflow"  # the store for the azureml:// tracking URI of a job
    assert "azureml-mlflow" in {canonicalize_name(req.name) for req in PIP}
{%- endif %}
