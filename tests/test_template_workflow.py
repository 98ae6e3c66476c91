"""The template's own GitHub workflow: Linux, Windows and macOS with every offered Python, both SDKs baked and their
quick tests run, the whole suite once; valid by GitHub's schema, clean by actionlint, current action majors."""
import importlib.util
import json
import re
import shlex

import pytest
import yaml

import local_extensions
from conftest import ACTION_MAJORS, TEMPLATE, actionlint
from test_github import check_jsonschema

WORKFLOW = TEMPLATE / ".github" / "workflows" / "template.yml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def runs(job):
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_workflow_runs_once_per_change_on_pull_requests_and_pushes_to_main(workflow):
    assert workflow[True] == {"push": {"branches": ["main"]}, "pull_request": None}  # YAML reads `on` as True


def test_each_system_and_offered_python_bakes_both_sdks_and_runs_their_quick_tests(workflow):
    bake = workflow["jobs"]["bake"]
    assert bake["strategy"]["matrix"] == {"os": ["ubuntu-latest", "windows-latest", "macos-latest"],
                                          "python": list(local_extensions.PYTHON_VERSIONS)}
    assert bake["runs-on"] == "${{ matrix.os }}" and bake["strategy"]["fail-fast"] is False
    script = runs(bake)
    assert f"for sdk in {' '.join(local_extensions.SDKS)}; do" in script
    assert '"sdk=$sdk"' in script and '"python_version=${{ matrix.python }}"' in script
    assert '-m pytest -m "not slow"' in script
    assert '-m pip install -r .azureml/lock/cpu.txt -r .azureml/lock/dev-tools.txt' in script  # the project's locks
    installed = next(step["run"] for step in bake["steps"] if "cookiecutter==" in step.get("run", ""))
    pinned = re.search(r"grep -E '\^(cookiecutter==)'", installed).group(1)
    assert any(line.startswith(pinned) for line in (TEMPLATE / "requirements-dev.txt").read_text().splitlines())


def test_one_ubuntu_job_runs_the_whole_suite_as_ci_does(workflow):
    suite = workflow["jobs"]["template-suite"]
    assert suite["runs-on"] == "ubuntu-latest"
    assert [shlex.split(step["run"]) for step in suite["steps"] if step.get("run", "").startswith("bash")] == [
        ["bash", ".ci/run"]]


def test_workflow_uses_each_actions_current_major(workflow):
    used = {step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step}
    assert used == {f"{action}@{ACTION_MAJORS[action]}" for action in ("actions/checkout", "actions/setup-python")}


def test_workflow_is_valid_by_githubs_schema_and_actionlint_finds_nothing(tmp_path):
    result = check_jsonschema(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert actionlint(WORKFLOW) == []
    slip = tmp_path / "slip.yml"  # the same check catches an undefined matrix value
    slip.write_text(WORKFLOW.read_text().replace("${{ matrix.os }}", "${{ matrix.oss }}"))
    assert any("oss" in message for _, _, message in actionlint(slip))


def test_suite_job_fetches_the_schemas_where_ci_reads_them_at_the_commits_the_shared_copies_name(workflow):
    steps = [step.get("run", "") for step in workflow["jobs"]["template-suite"]["steps"]]
    fetch = steps.index("python .github/fetch_schemas.py ../shared/schemas")
    assert fetch < steps.index("bash .ci/run")
    spec = importlib.util.spec_from_file_location("fetch_schemas", TEMPLATE / ".github" / "fetch_schemas.py")
    fetch_schemas = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch_schemas)
    shared = TEMPLATE.parent / "shared" / "schemas"
    assert {*fetch_schemas.COPIES, "debugpy-launch.schema.json"} == {p.name for p in shared.glob("*.json")}
    readme = (shared / "README.md").read_text()
    for repository, commit, path in [*fetch_schemas.COPIES.values(), fetch_schemas.DEBUGPY]:
        assert repository in readme and f"commit {commit}" in readme and path.split("/")[-1] in readme
    shared_debugpy = json.loads((shared / "debugpy-launch.schema.json").read_text())["properties"]
    assert {key: shared_debugpy[key]["type"] for key in fetch_schemas.GENERIC_KEYS} == fetch_schemas.GENERIC_KEYS


LOCKS_WORKFLOW = TEMPLATE / ".github" / "workflows" / "locks.yml"


def test_locks_workflow_refreshes_both_sdks_locks_monthly_verifies_runs_the_suite_then_proposes_them():
    locks = yaml.safe_load(LOCKS_WORKFLOW.read_text())
    assert locks[True] == {"schedule": [{"cron": "41 4 2 * *"}], "workflow_dispatch": None}
    steps = locks["jobs"]["locks"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    refresh = runs.index("python .github/refresh_locks.py --verify-builds")
    assert refresh < runs.index("bash .ci/run")
    assert runs[0] == "python -m pip install -c requirements-dev.txt cookiecutter uv"  # the pinned versions
    proposal = steps[-1]
    assert proposal["uses"] == f"peter-evans/create-pull-request@{ACTION_MAJORS['peter-evans/create-pull-request']}"
    assert proposal["with"]["add-paths"] == "{{cookiecutter.project}}/_sdk/*/.azureml/lock/"
    assert sorted(p.relative_to(TEMPLATE).as_posix() for p in TEMPLATE.glob(proposal["with"]["add-paths"] + "*")) == [
        f"{{{{cookiecutter.project}}}}/_sdk/{sdk}/.azureml/lock/{name}"
        for sdk in local_extensions.SDKS for name in ("cpu.txt", "cu126.txt", "dev-tools.txt", "serving.txt")]
    result = check_jsonschema(LOCKS_WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert actionlint(LOCKS_WORKFLOW) == []
