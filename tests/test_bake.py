"""Every combination of answers bakes a complete project: the exact files, no Jinja left, valid Python, YAML and JSON."""
import ast
import json
import re

import json5
import pytest
import yaml

from conftest import CONTEXT, bake, option_combinations

PROJECT_FILES = {
    ".azureml/pytorch-env.yml", ".azureml/dev-tools.txt", ".azureml/lock/cpu.txt", ".azureml/lock/cu126.txt",
    ".azureml/lock/dev-tools.txt", ".azureml/lock/serving.txt", ".gitignore", "README.md", "pytest.ini",
    ".azureml/settings.yml", "aml/__init__.py", "aml/names.py", "aml/settings.py", "aml/messages.py",
    "aml/arguments.py", "aml/costs.py", "aml/preflight.py", "aml/sdk.py", "aml/login.py", "aml/submission.py",
    "01-create-workspace.py", "02-create-compute.py", "03-run-hello.py", "04-run-pytorch.py", "05-upload-data.py",
    "06-run-pytorch-data.py", "07-download-model.py", "99-clean-up.py", "aml/downloads.py", "aml/models.py",
    "aml/quota.py", "aml/cleanup.py", "aml/remote_error.py",
    "tests/test_remote_error.py", "tests/test_clean_up.py", "08-deploy.py", "aml/deployment.py", "aml/endpoints.py",
    "aml/ml_client.py",
    "aml/serving.py", "aml/scoring.py", "src/classifier.py", "src/score.py", ".azureml/serving-env.yml",
    "tests/test_serving.py", "tests/test_deploy.py", "docs/serving-answer.svg", "tests/test_operations.py", "tests/azure_answers.py",
    "src/.amlignore", "src/data.py", "src/hello.py", "src/model.py", "src/train.py", "src/checkpoints.py",
    "src/device.py", "src/distributed.py", "src/flags.py", "src/installed.py", "src/outputs.py", "src/paths.py", "src/tracking.py",
    "src/predict.py", "tests/test_predict.py", "tests/test_download_model.py", "tests/test_downloads.py",
    "tests/conftest.py", "tests/test_control_scripts.py", "tests/test_environment.py", "tests/test_model.py",
    "tests/test_train.py", "tests/test_distributed.py", "tests/test_tracking.py",
    "tests/script_helpers.py", "tests/sdk_fixtures.py", "tests/skips.py", "aml/lock.py", "aml/lock_files.py", "aml/lint.py", "tests/test_first_hour.py", "tests/test_lock.py", "tests/test_login.py", "tests/test_submission.py",
    ".vscode/launch.json", ".vscode/tasks.json", ".vscode/settings.json", ".vscode/extensions.json",
    ".devcontainer/devcontainer.json", ".devcontainer/Dockerfile", ".devcontainer/post-create.sh",
    ".github/workflows/tests.yml", ".github/workflows/lock.yml", ".pre-commit-config.yaml", "ruff.toml", ".cookiecutter.json", ".gitattributes",
}
TRAIN_WORKFLOW = ".github/workflows/train-on-azure.yml"  # only when github_train_workflow is yes
SDK_FILES = {"v1": set(), "v2": {"job.yml", "tests/test_mlflow_environment.py", "tests/test_deployment.py"}}
# ${{ github.ref }} in a workflow, ${{inputs.data}} in an Azure ML command: GitHub's and Azure ML's, not Jinja
EXPRESSION = re.compile(r"\$\{\{[^{}%#]+\}\}")
# The SDK each choice uses, and the one it must not
SDK_MODULES = {"v1": ("azureml", "azure"), "v2": ("azure", "azureml")}
# Managed online endpoints are SDK v2's alone: a v1 project deploys (and 99 finds its endpoints) with azure-ai-ml too,
# in these files only
DEPLOYMENT_FILES = {"08-deploy.py", "aml/deployment.py", "aml/endpoints.py", "aml/ml_client.py", "tests/test_deploy.py"}
UPDATES_SECTION = "### Updates from the template"  # the one part of the README that names the template's tool
WORKSPACE = {"subscription_id": "01234567-89ab-cdef-0123-456789abcdef", "resource_group": "ml-rg",
             "workspace_name": "ml-ws", "region": "westeurope"}


def files_of(project):
    return {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}


def verify_files(project, expected):
    assert files_of(project) == expected
    assert not (project / "_sdk").exists()  # each SDK's own files are in their places, the other's gone


def verify_no_jinja(project):
    for path in project.rglob("*"):
        if path.is_file():
            name = path.relative_to(project).as_posix()
            text = path.read_text(encoding="utf-8")
            text = EXPRESSION.sub("", text)
            assert not re.search(r"\{\{|\{%|%\}|\{#", text), f"Jinja left in {name}"
            if name == ".cookiecutter.json":  # the answers, as a replay file for the update
                continue
            if name == "README.md":
                text = text.split(UPDATES_SECTION)[0]
                text = re.sub(r"^cookiecutter --no-input .*$", "", text, flags=re.M)  # v1's command for v2
            assert "cookiecutter" not in text.replace(".cookiecutter.json", ""), f"'cookiecutter' left in {name}"


def verify_sdk_imports(project, sdk):
    """The Python files import the chosen SDK's package, and never the other SDK's."""
    used, other = SDK_MODULES[sdk]
    imported = set()
    for path in project.rglob("*.py"):
        if sdk == "v1" and path.relative_to(project).as_posix() in DEPLOYMENT_FILES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert used in imported and other not in imported, (sdk, sorted(imported))


def verify_python_compiles(project):
    for path in project.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def verify_data_files_parse(project):
    for path in project.rglob("*.yml"):
        assert yaml.safe_load(path.read_text(encoding="utf-8")), path
    for path in project.rglob("*.json"):  # VS Code and Dev Container files are JSONC
        (json5.loads if path.parent.name in (".vscode", ".devcontainer") else json.loads)(path.read_text("utf-8"))


def baked_settings(project):
    """The names of the baked .azureml/settings.yml, and the conda environment's name (ENV_NAME)."""
    settings = yaml.safe_load((project / ".azureml/settings.yml").read_text())
    return {**settings, "ENV_NAME": yaml.safe_load((project / ".azureml/pytorch-env.yml").read_text())["name"]}


@pytest.mark.parametrize("options", option_combinations(), ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_every_option_combination_bakes_a_complete_project(tmp_path, options):
    project = bake(tmp_path, **options)
    assert project == tmp_path / CONTEXT["project"]
    optional = {TRAIN_WORKFLOW} if options["github_train_workflow"] else set()
    verify_files(project, PROJECT_FILES | SDK_FILES[options["sdk"]] | optional)
    verify_sdk_imports(project, options["sdk"])
    verify_no_jinja(project)
    verify_python_compiles(project)
    verify_data_files_parse(project)
    env = yaml.safe_load((project / ".azureml/pytorch-env.yml").read_text())
    assert f"python={options['python_version']}" in env["dependencies"]
    container = json5.loads((project / ".devcontainer/devcontainer.json").read_text())
    assert "runArgs" not in container and ("hostRequirements" in container) == options["devcontainer_gpu"]
    for workflow in project.glob(".github/workflows/*.yml"):
        setups = [step for job in yaml.safe_load(workflow.read_text())["jobs"].values() for step in job["steps"]
                  if step.get("uses", "").startswith("actions/setup-python@")]
        assert setups and {step["with"]["python-version"] for step in setups} == {options["python_version"]}


def test_default_answers_are_the_tutorials(tmp_path):
    constants = baked_settings(bake(tmp_path))
    assert {k: constants[k] for k in ("experiment_name", "hello_experiment_name", "compute_name", "vm_size",
                                      "max_nodes", "gpu_vm_size", "ENV_NAME")} == {
        "experiment_name": "day1-experiment-train", "hello_experiment_name": "day1-experiment-hello",
        "compute_name": "cpu-cluster", "vm_size": "STANDARD_D2_V2", "max_nodes": 4,
        "gpu_vm_size": "Standard_NC4as_T4_v3", "ENV_NAME": "pytorch-env"}
    assert [constants[k] for k in ("subscription_id", "resource_group", "workspace_name", "region")] == [""] * 4


def test_answers_reach_the_project(tmp_path):
    answers = {"project": "cifar-lab", "experiment_name": "exp_7", "compute_name": "gpu-nodes",
               "vm_size": "Standard_NC4as_T4_v3", "max_nodes": "8", **WORKSPACE}
    project = bake(tmp_path, **answers)
    assert project.name == "cifar-lab"
    verify_files(project, PROJECT_FILES | {".azureml/config.json"})
    verify_no_jinja(project)
    constants = baked_settings(project)
    assert (constants["experiment_name"], constants["hello_experiment_name"]) == ("exp_7", "exp_7-hello")
    assert (constants["compute_name"], constants["vm_size"], constants["max_nodes"]) == (
        "gpu-nodes", "Standard_NC4as_T4_v3", 8)
    assert {k: constants[k] for k in WORKSPACE} == WORKSPACE  # the workspace answers, for 01-create-workspace.py
    assert "# cifar-lab" in (project / "README.md").read_text()


def test_project_is_baked_inside_nested_output_folders(tmp_path):
    project = bake(tmp_path / "a" / "b")
    assert project == tmp_path / "a" / "b" / "aml-cifar" and (project / "src" / "train.py").is_file()


def test_v1_readme_notes_the_end_of_support_and_the_answer_that_switches_to_v2(tmp_path):
    readme = (bake(tmp_path / "v1") / "README.md").read_text()
    note = readme.split("## What is where")[0]
    assert "support ended on 2026-06-30" in note and "the answer `sdk` set to `v2`" in note
    assert "cookiecutter --no-input --output-dir .. " in note and " sdk=v2 " in note  # the command that does it
    v2_readme = (bake(tmp_path / "v2", sdk="v2") / "README.md").read_text()
    assert "the answer `sdk` set to `v2`" not in v2_readme and " sdk=v2 " not in v2_readme and "`azure-ai-ml`" in v2_readme.split("##")[0]
    outside_the_note = "\n".join(line for line in v2_readme.splitlines() if not line.startswith(">"))
    assert "mlflow.log_metric('loss', loss, step=steps)" in v2_readme and "run.log" not in outside_the_note


# The tutorial's own comments, in its order, that a beginner finds in src/train.py
TUTORIAL_ORDER = ("# download CIFAR 10 data", "# define convolutional network", "# set up pytorch loss", "# train the network",
                  "# zero the parameter gradients", "# forward + backward + optimize", "# print statistics",
                  "Finished Training")
LOG_LINE = {"v1": "run.log('loss', loss)", "v2": "mlflow.log_metric('loss', loss, step=steps)"}
MAX_TRAIN_LINES = 130  # non-blank lines of src/train.py: a straight recipe
MAX_MODULE_LINES = 250  # any module of the project, its tests apart


def local_imports(path, modules):
    """The names among `modules` that a Python file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    return names & modules


@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_train_py_is_a_short_recipe_in_the_tutorials_order_and_the_layers_stay_apart(tmp_path, sdk):
    project = bake(tmp_path, sdk=sdk)
    train = (project / "src/train.py").read_text()
    assert len([line for line in train.splitlines() if line.strip()]) <= MAX_TRAIN_LINES
    positions = [train.index(step) for step in TUTORIAL_ORDER]
    assert positions == sorted(positions) and positions[-3] < train.index(LOG_LINE[sdk]) < positions[-1]
    for path in project.rglob("*.py"):
        if "tests" not in path.relative_to(project).parts:
            assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES, path
    src_modules = {path.stem for path in (project / "src").glob("*.py")}
    root_modules = {path.stem for path in project.glob("*.py")} | {"aml"}
    for path in (project / "src").glob("*.py"):  # src/ is uploaded alone: it imports nothing from outside it
        assert not local_imports(path, root_modules), path
    for path in project.glob("[0-9][0-9]-*.py"):  # each script: the helper layer, never src/ or another script
        assert local_imports(path, root_modules | src_modules) <= {"aml"}, path
    sdk_module = {"v1": "azureml", "v2": "azure"}[sdk]
    # the SDK is imported by the helper layer's per-SDK modules only, and azure-ai-ml by those of the endpoints
    # (managed online endpoints are SDK v2's, whichever the project's SDK)
    per_sdk = {"sdk", "login", "submission", "models"} | ({"deployment", "endpoints", "ml_client"} if sdk == "v2" else set())
    for path in (project / "aml").glob("*.py"):
        text = path.read_text()
        uses_sdk = re.search(rf"^\s*(from|import) {sdk_module}\b", text, re.M) is not None
        assert not uses_sdk or path.stem in per_sdk, path
