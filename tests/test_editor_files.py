"""The baked project's VS Code and Dev Container files: valid by the real schemas, every task runs, the container is the cloud env."""
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import json5
import jsonschema
import pytest

from conftest import TEMPLATE, bake, local_extensions, resolve_vscode, vscode_variables

SCHEMAS = TEMPLATE.parent / "shared" / "schemas"
needs_schemas = pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"the shared schemas are not at {SCHEMAS}")
AZURE_TASKS = {"Submit to Azure", "Run hello on Azure", "Create workspace", "Create compute cluster"}
LOCAL_TASKS = {"Dry-run submission", "Train locally", "Lint", "Run tests"}
SERVER_TASKS = {"v1": set(), "v2": {"Show metrics locally"}}  # run until stopped: tested on their own
METRICS_UI = "http://127.0.0.1:5000"


def load_jsonc(path):
    return json5.loads(Path(path).read_text(encoding="utf-8"))


def schema(name):
    return load_jsonc(SCHEMAS / name)


def verify_valid(document, schema_document, validator=jsonschema.Draft7Validator):
    errors = sorted(validator(schema_document).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.fixture(scope="module", params=local_extensions.SDKS)
def project(tmp_path_factory, request):
    return bake(tmp_path_factory.mktemp("editor"), devcontainer_gpu=True, sdk=request.param)


@needs_schemas
def test_tasks_json_is_valid_by_vscodes_schema(project):
    verify_valid(load_jsonc(project / ".vscode/tasks.json"), schema("vscode-tasks.schema.json"))


def launch_schema():
    """VS Code's launch.json schema with debugpy's attributes for the configurations (the Python extension adds them)."""
    combined = schema("vscode-launch.schema.json")
    combined["properties"]["configurations"]["items"] = schema("debugpy-launch.schema.json")
    return combined


@needs_schemas
@pytest.mark.parametrize("where", ["project", "template"])
def test_launch_json_is_valid_by_vscodes_and_debugpys_schemas(project, where):
    folder = project if where == "project" else TEMPLATE
    launch = load_jsonc(folder / ".vscode/launch.json")
    assert launch["configurations"] and all(c["type"] == "debugpy" for c in launch["configurations"])
    verify_valid(launch, launch_schema())


@needs_schemas
@pytest.mark.parametrize("where", ["project", "template"])
def test_devcontainer_json_is_valid_by_the_dev_container_spec(project, where):
    folder = project if where == "project" else TEMPLATE
    verify_valid(load_jsonc(folder / ".devcontainer/devcontainer.json"), schema("devContainer.base.schema.json"),
                 jsonschema.Draft201909Validator)


@needs_schemas
def test_template_tasks_json_is_valid_by_vscodes_schema():
    verify_valid(load_jsonc(TEMPLATE / ".vscode/tasks.json"), schema("vscode-tasks.schema.json"))


def test_every_launch_configuration_and_task_names_files_that_exist(project):
    launch = load_jsonc(project / ".vscode/launch.json")
    for configuration in launch["configurations"]:
        if configuration["program"] != "${file}":
            assert Path(resolve_vscode(configuration["program"], vscode_variables(project))).is_file(), configuration["name"]
        assert Path(resolve_vscode(configuration["cwd"], vscode_variables(project))).is_dir(), configuration["name"]
    for task in load_jsonc(project / ".vscode/tasks.json")["tasks"]:
        script = next((a for a in task["args"] if a.endswith(".py")), None)
        assert script is None or (project / script).is_file(), task["label"]


def test_devcontainer_is_built_from_the_cloud_runs_environment_file(project):
    container = load_jsonc(project / ".devcontainer/devcontainer.json")
    dockerfile = (project / ".devcontainer" / container["build"]["dockerfile"]).read_text()
    context = (project / ".devcontainer" / container["build"]["context"]).resolve()
    copied = re.findall(r"^COPY (\S+) ", dockerfile, re.M)
    assert copied == [".azureml/pytorch-env.yml"] and (context / copied[0]).is_file()
    assert "conda env create --file /tmp/conda/pytorch-env.yml" in dockerfile
    assert "ENV_FILE = ROOT / \".azureml\" / \"pytorch-env.yml\"" in (project / "aml_project.py").read_text()
    assert container["postCreateCommand"] == "bash .devcontainer/post-create.sh"
    assert (project / ".devcontainer/post-create.sh").is_file()
    assert container["remoteUser"] != "root"
    assert any(m.endswith("target=/home/vscode/.azure,type=volume") for m in container["mounts"])
    assert "ghcr.io/devcontainers/features/azure-cli:1" in container["features"]


def test_dockerfile_passes_hadolint(project, tmp_path):
    hadolint = Path(sys.executable).with_name("hadolint")
    clean = subprocess.run([str(hadolint), str(project / ".devcontainer/Dockerfile")], capture_output=True, text=True,
                           timeout=60)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu\nRUN apt-get install curl\n")  # the linter does flag what it should
    assert subprocess.run([str(hadolint), str(bad)], capture_output=True, timeout=60).returncode != 0


def run_task(task, project, timeout):
    """Run a tasks.json task as VS Code would: its command and args with variables resolved, from its folder."""
    task = resolve_vscode(task, vscode_variables(project))
    command = [task["command"], *task.get("args", [])]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_every_task_succeeds_offline_or_fails_fast_asking_for_azure(project):
    tasks = {task["label"]: task for task in load_jsonc(project / ".vscode/tasks.json")["tasks"]}
    servers = SERVER_TASKS[load_jsonc(project / ".cookiecutter.json")["cookiecutter"]["sdk"]]
    assert set(tasks) == AZURE_TASKS | LOCAL_TASKS | servers
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)  # "Lint" checks the files git knows
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    for label, task in tasks.items():
        if label in servers:
            continue
        started = time.monotonic()
        result = run_task(task, project, timeout=600)
        seconds = time.monotonic() - started
        if label in AZURE_TASKS:
            assert result.returncode == 1 and "Traceback" not in result.stderr, (label, result.stderr)
            assert result.stderr.startswith("error: "), (label, result.stderr)
            assert "01-create-workspace.py" in result.stderr or "--subscription-id" in result.stderr, label
            assert seconds < 15, (label, seconds)
        else:
            assert result.returncode == 0, (label, result.stdout[-3000:], result.stderr[-3000:])


def start_task(task, project, output):
    """Start a tasks.json task that runs until stopped, as VS Code would, in a process group of its own."""
    task = resolve_vscode(task, vscode_variables(project))
    return subprocess.Popen([task["command"], *task.get("args", [])], cwd=project, stdout=output,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def answers(url, data=None):
    """The status and body of an HTTP request to url (a POST of data as JSON, if given); status 0: no answer."""
    request = urllib.request.Request(url, data=data and json.dumps(data).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def group_is_gone(group, seconds):
    """Whether every process of the process group has exited within that many seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_show_metrics_task_serves_the_metrics_of_a_local_training_run_until_stopped(tmp_path):
    try:
        socket.create_server(("127.0.0.1", 5000)).close()
    except OSError:
        pytest.skip("port 5000, where the task serves MLflow's UI, is busy on this machine")
    project = bake(tmp_path / "baked", sdk="v2", experiment_name="metrics-task-check")
    tasks = {task["label"]: task for task in load_jsonc(project / ".vscode/tasks.json")["tasks"]}
    trained = run_task(tasks["Train locally"], project, timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    task = tasks["Show metrics locally"]
    assert task["isBackground"] is True
    log = tmp_path / "task.log"
    with open(log, "w") as output:
        server = start_task(task, project, output)
    try:
        deadline = time.monotonic() + 60
        while answers(METRICS_UI)[0] != 200:
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "MLflow's UI did not answer within 60 s:\n" + log.read_text()[-3000:]
            time.sleep(0.5)
        status, body = answers(METRICS_UI + "/api/2.0/mlflow/experiments/search?max_results=100")
        assert status == 200, body
        [experiment] = [e for e in json.loads(body)["experiments"] if e["name"] == "metrics-task-check"]
        status, body = answers(METRICS_UI + "/api/2.0/mlflow/runs/search",
                               {"experiment_ids": [experiment["experiment_id"]]})
        assert status == 200, body
        [run] = json.loads(body)["runs"]
        assert {metric["key"] for metric in run["data"]["metrics"]} == {"loss", "accuracy"}
        lines = log.read_text().splitlines()  # what VS Code reads to know the server has started
        background = task["problemMatcher"]["background"]
        begins = next(i for i, line in enumerate(lines) if re.search(background["beginsPattern"], line))
        assert any(re.search(background["endsPattern"], line) for line in lines[begins:]), lines
        assert not any(re.search(task["problemMatcher"]["pattern"]["regexp"], line) for line in lines)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)  # Terminate Task: the server and the workers it started
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
        stopped = group_is_gone(server.pid, 30)
        if not stopped:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    assert stopped, "processes of the task were still running 30 s after SIGTERM"
    assert answers(METRICS_UI)[0] == 0


@pytest.mark.slow
@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_post_create_script_readies_a_fresh_environment_for_training_and_tests(tmp_path, sdk):
    project = bake(tmp_path / "baked", sdk=sdk)
    python = tmp_path / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, timeout=300)
    setup = subprocess.run(["bash", ".devcontainer/post-create.sh"], cwd=project, capture_output=True, text=True,
                           env={**os.environ, "PYTHON": str(python)}, timeout=1500, stdin=subprocess.DEVNULL)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "Finished Training" in setup.stdout and "az login --use-device-code" in setup.stdout
    tests = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                           capture_output=True, text=True, timeout=900)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]


def test_post_create_script_without_its_python_says_what_to_do(tmp_path):
    project = bake(tmp_path)
    result = subprocess.run(["bash", ".devcontainer/post-create.sh"], cwd=project, capture_output=True, text=True,
                            env={**os.environ, "PYTHON": str(tmp_path / "missing" / "python")}, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no Python at") and "PYTHON=/path/to/python" in result.stderr


def problems(output, matcher):
    """Apply a tasks.json problem matcher to a task's output as VS Code does: (file, line, message) per match."""
    first, second = matcher["pattern"]
    start, follow = re.compile(first["regexp"]), re.compile(second["regexp"])
    lines = output.splitlines()
    found = []
    for line, next_line in zip(lines, lines[1:]):
        head, tail = start.match(line), follow.match(next_line)
        if head and tail:
            found.append((head[first["file"]], int(head[first["line"]]), tail[second["message"]]))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("label, broken_file, breakage", [
    ("Train locally", "src/model.py", ("        x = self.pool(F.relu(self.conv1(x)))",
                                       "        raise ValueError('broken on purpose')")),
    ("Run tests", "tests/test_model.py", ("    assert Net()(torch.zeros(4, 3, 32, 32)).shape == (4, 10)",
                                          "    assert Net()(torch.zeros(4, 3, 32, 32)).shape == (4, 11)")),
])
def test_problem_matcher_points_at_the_failing_line_of_the_project(tmp_path, label, broken_file, breakage):
    project = bake(tmp_path)
    path = project / broken_file
    text = path.read_text()
    assert breakage[0] in text
    path.write_text(text.replace(breakage[0], breakage[1], 1))
    line = text.splitlines().index(breakage[0]) + 1
    [task] = [t for t in load_jsonc(project / ".vscode/tasks.json")["tasks"] if t["label"] == label]
    result = run_task(task, project, timeout=600)
    assert result.returncode != 0
    found = problems(result.stdout + result.stderr, task["problemMatcher"])
    assert (str(path), line, breakage[1].strip()) in found, found
    assert all(Path(file).is_relative_to(project) for file, _, _ in found), found  # no library frames
