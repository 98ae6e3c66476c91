"""The baked project's VS Code and Dev Container files: valid by the real schemas, every task runs, the container is the cloud env."""
import contextlib
import json
import os
import re
import signal
import base64
import hashlib
import importlib.metadata
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import json5
import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement

from conftest import TEMPLATE, bake, local_extensions, locked_here, normalized, resolve_vscode, vscode_variables

SCHEMAS = TEMPLATE.parent / "shared" / "schemas"
needs_schemas = pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"the shared schemas are not at {SCHEMAS}")
AZURE_TASKS = {"Submit to Azure", "Run hello on Azure", "Create workspace", "Create compute cluster",
               "Show the last run's error", "Download model from Azure", "Clean up Azure resources"}
LOCAL_TASKS = {"Dry-run submission", "Train locally", "Predict images", "Run tests"}
IMAGE_TASKS = {"Predict images"}  # run on the file open in the editor: an image
# Runs pre-commit (aml/lint.py: `pre-commit run --all-files` in a git repository), whose hooks come from GitHub
# (unreachable here): its checks run with the pinned tools in test_github, aml/lint.py in the project's own tests
LINT_TASK = {"Lint": ["aml/lint.py"]}
# Runs uv against PyPI: tests/test_lock_files.py runs aml/lock.py itself and compares what it makes
LOCK_TASK = {"Lock the environment": ["aml/lock.py"]}
# run until stopped, or talk to one that runs: tested on their own
SERVER_TASKS = {"v1": set(), "v2": {"Show metrics locally"}}
SERVING_TASKS = {"Serve model locally", "Send a sample image to the local server"}
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
        if "module" in configuration:  # run as python -m: a module of the serving environment (tested by F5 on it)
            assert configuration["module"] == "azureml_inference_server_http.amlserver", configuration["name"]
        elif configuration["program"] != "${file}":
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
    assert copied == ["${LOCK}", ".azureml/pytorch-env.yml", ".azureml/lock/serving.txt", ".azureml/serving-env.yml"]
    assert all((context / name).is_file() for name in copied[1:])
    assert (context / container["build"]["args"]["LOCK"]).is_file()
    assert "conda env create --file /tmp/pytorch-env.yml" in dockerfile
    assert "ENV_FILE = ROOT / \".azureml\" / \"pytorch-env.yml\"" in (project / "aml" / "lock_files.py").read_text()
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


@pytest.fixture(scope="module")
def cpu_project(tmp_path_factory):
    return bake(tmp_path_factory.mktemp("editor-cpu"))


def dockerfile_instructions(project):
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined, comments left out."""
    lines = [line for line in (project / ".devcontainer/Dockerfile").read_text().splitlines()
             if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", "", "\n".join(lines))
    return [tuple(line.split(None, 1)) for line in joined.splitlines() if line.strip()]


def environment_run(project, env_file="pytorch-env.yml"):
    """The arguments of the RUN that creates the conda environment of env_file (the training one by default)."""
    [run] = [args for keyword, args in dockerfile_instructions(project)
             if keyword == "RUN" and f"conda env create --file /tmp/{env_file}" in args]
    return run


def test_the_container_has_the_serving_environment_where_aml_serving_python_names_it(cpu_project):
    """The serving environment is built from its own file in its own layer, at the versions of its own lock, no
    download cache, the container user's; devcontainer.json names its Python for the project."""
    run = environment_run(cpu_project, "serving-env.yml")
    prefix = re.search(r"--prefix (\S+)", run)[1]
    python = load_jsonc(cpu_project / ".devcontainer/devcontainer.json")["containerEnv"]["AML_SERVING_PYTHON"]
    assert python == f"{prefix}/bin/python" and prefix != environment_run(cpu_project).split("--prefix ")[1].split()[0]
    assert "PIP_CONSTRAINT=/tmp/serving.lock.txt " in run and "PIP_NO_CACHE_DIR=1 " in run
    assert run.index("conda env create") < run.index("conda clean --all --yes") < run.index(f"chown -R vscode:conda {prefix}")


def test_conda_builds_from_conda_forge_only_without_the_defaults_channel(cpu_project, tmp_path):
    """The image writes conda-forge as conda's only channel before conda creates the environment (Anaconda's Terms of
    Service stop a build), and the build stops if conda still reads another, by name or by URL."""
    runs = [args for keyword, args in dockerfile_instructions(cpu_project) if keyword == "RUN"]
    configure = next(i for i, run in enumerate(runs) if "/opt/conda/.condarc" in run)
    assert configure < runs.index(environment_run(cpu_project))
    channels = runs[configure].split(" && mkdir")[0]  # the channel set-up and its check, as the build runs them
    for listed, fails in (["conda-forge"], False), (["conda-forge", "https://repo.anaconda.com/pkgs/main"], True):
        conda = tmp_path / "bin" / "conda"  # a conda that reads the channels a base image may add
        conda.parent.mkdir(exist_ok=True)
        conda.write_text("#!/bin/sh\nprintf 'channels:\\n" + "\\n".join(f"  - {c}" for c in listed) + "\\n'\n")
        conda.chmod(0o755)
        result = subprocess.run(["bash", "-c", channels.replace("/opt/conda/.condarc", str(tmp_path / "condarc"))],
                                env={**os.environ, "PATH": f"{conda.parent}:{os.environ['PATH']}"},
                                capture_output=True, text=True, timeout=60)
        assert (result.returncode != 0) == fails, result.stderr
        assert ("error: conda reads channels other than conda-forge" in result.stderr) == fails
    assert yaml.safe_load((tmp_path / "condarc").read_text())["channels"] == ["conda-forge"]
    env = yaml.safe_load((cpu_project / ".azureml/pytorch-env.yml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]


def test_environment_layer_installs_at_the_versions_of_the_build_args_lock_and_keeps_no_download_cache(cpu_project):
    """PIP_CONSTRAINT is the lock named by the build arg; pip's and conda's caches leave the layer."""
    instructions = dockerfile_instructions(cpu_project)
    arg = next(i for i, (keyword, args) in enumerate(instructions) if keyword == "ARG" and args.startswith("LOCK="))
    copy = next(i for i, (keyword, args) in enumerate(instructions) if keyword == "COPY"
                and args.startswith("${LOCK} "))
    assert instructions[arg][1] == "LOCK=.azureml/lock/cpu.txt" and arg < copy
    constraints = instructions[copy][1].split()[1]
    run = environment_run(cpu_project)
    assert f"PIP_CONSTRAINT={constraints} " in run and "PIP_NO_CACHE_DIR=1 " in run
    assert run.index("PIP_CONSTRAINT=") < run.index("conda env create") < run.index("conda clean --all --yes")
    # later pip installs in the training environment keep the lock: its own pip.conf (pip's site configuration),
    # and no PIP_CONSTRAINT for every pip in the container (the Azure CLI's, pre-commit's)
    assert f"printf '[install]\\nconstraint = {constraints}\\n' > /opt/conda/envs/pytorch-env/pip.conf" in run
    [env] = [args for keyword, args in instructions if keyword == "ENV"]
    assert "PIP_CONSTRAINT" not in env


def pip_ranges(project):
    """The version range of each package in the pip list of the project's environment file, by name."""
    env = yaml.safe_load((project / ".azureml/pytorch-env.yml").read_text())
    return {Requirement(line).name: Requirement(line).specifier for line in env["dependencies"][-1]["pip"]}


@pytest.mark.parametrize("gpu", [False, True])
def test_devcontainer_picks_the_lock_of_its_answer_and_needs_no_gpu(tmp_path, gpu):
    """build.args names lock/cpu.txt or, for the GPU answer, lock/cu126.txt (CUDA 12.6); a GPU is never required."""
    project = bake(tmp_path, devcontainer_gpu=gpu)
    container = load_jsonc(project / ".devcontainer/devcontainer.json")
    lock = container["build"]["args"]["LOCK"]
    assert lock == (".azureml/lock/cu126.txt" if gpu else ".azureml/lock/cpu.txt")
    text = (project / lock).read_text()
    index = "https://download.pytorch.org/whl/" + ("cu126" if gpu else "cpu")
    assert [line for line in text.splitlines() if line.startswith("-")] == [f"--extra-index-url {index}"]
    assert re.search(r"(?m)^torch==2\.9\.1\+(cu126|cpu)\b", text)[1] == ("cu126" if gpu else "cpu")
    assert "runArgs" not in container
    assert container.get("hostRequirements") == ({"gpu": "optional"} if gpu else None)


@needs_schemas
def test_cpu_devcontainer_json_is_valid_by_the_dev_container_spec(cpu_project):
    """The default answer's devcontainer.json (no GPU) is valid too."""
    verify_valid(load_jsonc(cpu_project / ".devcontainer/devcontainer.json"), schema("devContainer.base.schema.json"),
                 jsonschema.Draft201909Validator)


def test_login_volume_is_this_dev_containers_own(cpu_project):
    """The `az login` volume's name has ${devcontainerId}: two projects (or two clones) do not share a login."""
    [mount] = load_jsonc(cpu_project / ".devcontainer/devcontainer.json")["mounts"]
    fields = dict(part.split("=", 1) for part in mount.split(","))
    assert (fields["type"], fields["target"]) == ("volume", "/home/vscode/.azure")
    assert "${devcontainerId}" in fields["source"]
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+", fields["source"].replace("${devcontainerId}", "0abc"))


def test_environment_belongs_to_the_container_user(cpu_project):
    """The environment at the editor's interpreter path is made vscode's and group-writable in its own layer."""
    container = load_jsonc(cpu_project / ".devcontainer/devcontainer.json")
    interpreter = container["customizations"]["vscode"]["settings"]["python.defaultInterpreterPath"]
    prefix = interpreter.removesuffix("/bin/python")
    run = environment_run(cpu_project)
    assert f"--prefix {prefix} " in run
    owner = f"chown -R {container['remoteUser']}:conda {prefix} "
    assert run.index("conda env create") < run.index(owner) < run.index(f"chmod -R g+w {prefix} ")
    post_create = (cpu_project / ".devcontainer/post-create.sh").read_text()
    assert re.search(r'^PYTHON="\$\{PYTHON:-(.*)\}"$', post_create, re.M)[1] == interpreter
    [env] = [args for keyword, args in dockerfile_instructions(cpu_project) if keyword == "ENV"]
    assert f"PATH={prefix}/bin:$PATH" in env.split()


def test_devcontainer_has_nothing_bound_to_one_cpu_architecture(cpu_project):
    """A multi-arch base image (linux/amd64 and arm64) and no platform flag: Apple silicon builds it too."""
    instructions = dockerfile_instructions(cpu_project)
    assert instructions[0] == ("FROM", "mcr.microsoft.com/devcontainers/miniconda:1-3")
    text = " ".join(args for _, args in instructions) + (cpu_project / ".devcontainer/devcontainer.json").read_text()
    assert not re.search(r"--platform|amd64|x86_64|aarch64|arm64", text)


def run_task(task, project, timeout, python=None, more_args=(), file=None):
    """Run a tasks.json task as VS Code would: its command and args with variables resolved, from its folder.

    python: the interpreter selected in VS Code (default: this one); more_args: appended, as to narrow a test run;
    file: the file open in the editor.
    """
    variables = vscode_variables(project, file)
    if python is not None:
        variables["command:python.interpreterPath"] = str(python)
    task = resolve_vscode(task, variables)
    command = [task["command"], *task.get("args", []), *more_args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_every_task_succeeds_offline_or_fails_fast_asking_for_azure(project):
    tasks = {task["label"]: task for task in load_jsonc(project / ".vscode/tasks.json")["tasks"]}
    servers = SERVER_TASKS[load_jsonc(project / ".cookiecutter.json")["cookiecutter"]["sdk"]] | SERVING_TASKS
    assert set(tasks) == AZURE_TASKS | LOCAL_TASKS | set(LINT_TASK) | set(LOCK_TASK) | servers
    for label, task in tasks.items():
        if label in servers:
            continue
        if label in {**LINT_TASK, **LOCK_TASK}:
            assert task["args"] == {**LINT_TASK, **LOCK_TASK}[label], task
            continue
        if label == "Run tests":  # the project's whole suite: run once per SDK, in the post-create test below
            continue
        image = open_image(project) if label in IMAGE_TASKS else None  # after "Train locally" made outputs/model.pt
        result = run_task(task, project, timeout=600, file=image)
        if label in AZURE_TASKS:
            assert result.returncode == 1 and "Traceback" not in result.stderr, (label, result.stderr)
            assert result.stderr.startswith("error: "), (label, result.stderr)
            assert "01-create-workspace.py" in result.stderr or "--subscription-id" in result.stderr, label
        else:
            assert result.returncode == 0, (label, result.stdout[-3000:], result.stderr[-3000:])
        if label in IMAGE_TASKS:
            # the picture as VS Code names it (${file}: its full path), then the 3 likeliest classes
            assert re.fullmatch(rf"{re.escape(str(image))}: (\w+ \d+\.\d%, ){{2}}\w+ \d+\.\d%\n", result.stdout)


def open_image(project):
    """A photo-sized JPEG in the project, as a user opens one in the editor."""
    from PIL import Image

    path = project / "my-photo.jpg"
    Image.new("RGB", (120, 90), (200, 120, 40)).save(path)
    return path


def start_task(task, project, output, more_args=()):
    """Start a tasks.json task that runs until stopped, as VS Code would, in a process group of its own."""
    task = resolve_vscode(task, vscode_variables(project))
    return subprocess.Popen([task["command"], *task.get("args", []), *more_args], cwd=project, stdout=output,
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
        # the run's loss and accuracy, and the accuracy of each class that training saved in metrics.json too
        saved = json.loads((project / "outputs" / "metrics.json").read_text())["class_accuracy"]
        classes = {f"class_accuracy/{name}" for name in saved}
        assert len(classes) == 10
        assert {metric["key"] for metric in run["data"]["metrics"]} == {"loss", "accuracy"} | classes
        lines = log.read_text().splitlines()  # what VS Code reads to know the server has started
        background = task["problemMatcher"]["background"]
        begins = next(i for i, line in enumerate(lines) if re.search(background["beginsPattern"], line))
        assert any(re.search(background["endsPattern"], line) for line in lines[begins:]), lines
        assert not any(re.search(task["problemMatcher"]["pattern"]["regexp"], line) for line in lines)
    finally:
        stopped = stop_task(server)  # Terminate Task: the server and the workers it started
    assert stopped, "processes of the task were still running 30 s after SIGTERM"
    assert answers(METRICS_UI)[0] == 0


def stop_task(server):
    """Terminate Task: SIGTERM to the task's process group, then SIGKILL after 30 s; whether it all stopped in time."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=30)
    stopped = group_is_gone(server.pid, 30)
    if not stopped:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    return stopped


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize("sdk", local_extensions.SDKS)
def test_serve_task_serves_the_trained_model_until_stopped_and_the_send_task_gets_its_answer(tmp_path, sdk):
    """"Serve model locally" starts Azure ML's inference server in the serving environment (AML_SERVING_PYTHON) on
    outputs/model.pt; VS Code's background pattern sees it ready; "Send a sample image to the local server" prints the
    sample's three likeliest classes; Terminate Task stops the server and its worker."""
    python = os.environ.get("AML_SERVING_PYTHON")
    if not python or not Path(python).is_file():
        pytest.skip("no serving environment: set AML_SERVING_PYTHON to its Python (python3 dev.py test makes one)")
    project = bake(tmp_path / "baked", sdk=sdk)
    tasks = {task["label"]: task for task in load_jsonc(project / ".vscode/tasks.json")["tasks"]}
    without_model = run_task(tasks["Serve model locally"], project, timeout=60)
    assert without_model.returncode == 1 and without_model.stderr.startswith("error: there is no model.pt in ")
    trained = run_task(tasks["Train locally"], project, timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    task, port = tasks["Serve model locally"], free_port()
    assert task["isBackground"] is True and task["args"] == ["aml/serving.py", "serve"]
    log = tmp_path / "task.log"
    with open(log, "w") as output:
        server = start_task(task, project, output, more_args=["--port", str(port)])  # the task's 5001 may be taken
    try:
        background = task["problemMatcher"]["background"]
        deadline = time.monotonic() + 120
        while not re.search(background["endsPattern"], log.read_text()):
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no worker ready within 120 s:\n" + log.read_text()[-3000:]
            time.sleep(0.5)
        assert re.search(background["beginsPattern"], log.read_text())
        sent = run_task(tasks["Send a sample image to the local server"], project, timeout=120,
                        more_args=["--url", f"http://127.0.0.1:{port}/score"])
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert re.fullmatch(r"sample\.png: (\w+ \d+\.\d%, ){2}\w+ \d+\.\d%\n", sent.stdout)
    finally:
        stopped = stop_task(server)
    assert stopped, "processes of the task were still running 30 s after SIGTERM"


def test_serve_task_without_a_serving_environment_says_how_to_make_one(tmp_path):
    project = bake(tmp_path)
    [task] = [t for t in load_jsonc(project / ".vscode/tasks.json")["tasks"] if t["label"] == "Serve model locally"]
    missing = tmp_path / "nowhere" / "python"
    variables = {**os.environ, "AML_SERVING_PYTHON": str(missing)}
    task = resolve_vscode(task, vscode_variables(project))
    result = subprocess.run([task["command"], *task["args"]], cwd=project, capture_output=True, text=True,
                            env=variables, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: no serving environment's Python at {missing}. Fix: make it (python aml/serving.py "
                           "make ~/serving-env, or conda env create -f .azureml/serving-env.yml"), line


PYTORCH = ("torch", "torchvision")


def link_pytorch(python, project):
    """Link this run's PyTorch (torch, torchvision and the CUDA wheels they need: 5 GB that pip would unpack again)
    into the environment of python, as the dev container's image holds it before post-create.sh runs."""
    ranges = pip_ranges(project)
    for name in PYTORCH:  # else pip would replace the linked release, deleting this run's own files through the link
        version = importlib.metadata.version(name)
        assert ranges[name].contains(version), f"requirements-dev.txt's {name} {version} is outside {ranges[name]}"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    wanted = {*PYTORCH, "triton"}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"].lower()
        if name in wanted or name.startswith(("nvidia-", "cuda-")):
            for top in {file.parts[0] for file in dist.files or () if file.parts[0] != ".."}:
                if not (site / top).exists():
                    (site / top).symlink_to(dist.locate_file(top))


def lock_at_this_machines_pytorch(project, path):
    """Write to path the project's CPU lock with the torch and torchvision of this run in place of PyTorch's CPU
    wheels, which lie behind PyTorch's index (unreachable here); every other line as it is."""
    lines = []
    for line in (project / ".azureml/lock/cpu.txt").read_text().splitlines():
        name = re.match(r"([a-z]+)==", line)
        if name and name[1] in PYTORCH:
            line = f"{name[1]}=={importlib.metadata.version(name[1])}"
        elif line.startswith("--extra-index-url"):
            continue  # PyTorch's index: nothing is taken from it here, and each look-up there would wait
        lines.append(line)
    path.write_text("\n".join(dict.fromkeys(lines)) + "\n")  # the x86-64 and arm64 lines are now one
    return path


def pinned_in(lock, name):
    """The version a lock file pins name at on this machine, or None."""
    return locked_here(lock.read_text()).get(name)


def installed_versions(python):
    """{name: version} of every distribution in the environment of python."""
    listing = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    return {normalized(item["name"]): item["version"] for item in json.loads(listing)}


@pytest.mark.slow
@pytest.mark.baked_suite
@pytest.mark.parametrize("sdk", ["v2", "v1"])  # v2's is the longer: first
def test_post_create_script_readies_a_fresh_environment_in_which_the_projects_whole_suite_passes(tmp_path, sdk):
    """The one run of each SDK's baked suite: in a new virtual environment that holds only PyTorch, post-create.sh
    installs the lock and the tools' lock, every package at its locked version, consistently (pip check), and
    trains; there the "Run tests" task, as VS Code runs it, passes every test and skips none, and leaves every file
    of the project as it was."""
    project = bake(tmp_path / "baked", project="suite-check", compute_name="gpu-cluster", max_nodes="2", sdk=sdk)
    python = tmp_path / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, timeout=300)
    link_pytorch(python, project)
    lock = lock_at_this_machines_pytorch(project, tmp_path / "lock-here.txt")  # the project's lock stays as it is
    setup = subprocess.run(["bash", ".devcontainer/post-create.sh"], cwd=project, capture_output=True, text=True,
                           env={**os.environ, "PYTHON": str(python), "LOCK": str(lock)}, timeout=1500,
                           stdin=subprocess.DEVNULL)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "Finished Training" in setup.stdout and "az login --use-device-code" in setup.stdout
    for name in PYTORCH:  # the lock pins the ones in place
        assert re.search(rf"^Requirement already satisfied: {name}==", setup.stdout, re.M), name
    installed = installed_versions(python)
    for used in (lock, project / ".azureml/lock/dev-tools.txt"):
        pinned = locked_here(used.read_text())
        assert {name: (version, installed.get(name)) for name, version in pinned.items()
                if installed.get(name) != version} == {}, used.name
    shipped = locked_here((project / ".azureml/lock/cpu.txt").read_text())
    assert {name for name, version in shipped.items() if pinned_in(lock, name) != version} == set(PYTORCH)
    consistent = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert consistent.returncode == 0, consistent.stdout + consistent.stderr
    assert {path.name for path in (project / "outputs").iterdir()} >= TRAINED  # post-create.sh trained it
    for name, text in USER_WORK.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    before = project_files(project)
    [task] = [t for t in load_jsonc(project / ".vscode/tasks.json")["tasks"] if t["label"] == "Run tests"]
    tests = run_task(task, project, timeout=1200, python=python)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    summary = tests.stdout.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and "failed" not in summary and "skipped" not in summary, summary
    after = project_files(project)  # the user's model, metrics, plot, last run id and data as they were
    assert {name: digest for name, digest in after.items() if before.get(name) != digest} == {}
    assert sorted(set(before) - set(after)) == []


# What a user has in a project after training and a submission, besides what training wrote to outputs/
TRAINED = {"model.pt", "metrics.json", "loss.png"}
USER_WORK = {".azureml/last-run.txt": "day1-experiment-train_1765000000_0a1b2c3d\n", "data/notes.txt": "my data\n"}
CACHES = {"__pycache__", ".pytest_cache", ".ruff_cache"}


def project_files(project):
    """Every file of the project (caches aside) with the SHA-256 of its content."""
    return {path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in project.rglob("*") if path.is_file() and not CACHES & set(path.relative_to(project).parts)}


def test_post_create_script_without_its_python_says_what_to_do(tmp_path):
    project = bake(tmp_path)
    result = subprocess.run(["bash", ".devcontainer/post-create.sh"], cwd=project, capture_output=True, text=True,
                            env={**os.environ, "PYTHON": str(tmp_path / "missing" / "python")}, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no Python at") and "PYTHON=/path/to/python" in result.stderr


PROBE = "post-create-probe"  # a made-up package, in wheels that the tests write


def write_wheel(folder, name, version):
    """A minimal pure-Python wheel of name and version in folder, for pip to install without any index."""
    module = name.replace("-", "_")
    dist = f"{module}-{version}"
    files = {f"{module}.py": f"VERSION = {version!r}\n",
             f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    digest = {path: base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
              for path, text in files.items()}
    files[f"{dist}.dist-info/RECORD"] = "".join(f"{path},sha256={digest[path]},{len(text.encode())}\n"
                                                for path, text in files.items()) + f"{dist}.dist-info/RECORD,,\n"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


def python_with_the_tools(folder):
    """A new virtual environment that installs into itself and sees this run's pip, pytest, PyYAML, pre-commit."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                         capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    Path(own, "test-run.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def path_without_az():
    return os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "az").exists())


@pytest.fixture
def offline_project(tmp_path):
    """A bake whose CPU lock pins a made-up package from a --find-links folder and whose tools' lock pins nothing, a
    stand-in train.py; a Python with the tools."""
    project = bake(tmp_path / "baked")
    wheels = tmp_path / "wheels"
    write_wheel(wheels, PROBE, "1.0")
    (project / ".azureml/lock/cpu.txt").write_text(f"# a lock\n--find-links {wheels.as_uri()}\n{PROBE}==1.0\n")
    (project / ".azureml/lock/dev-tools.txt").write_text("# the tools are this run's own\n")
    (project / "src/train.py").write_text('print("Finished Training")\n')  # the slow test trains for real
    return project, python_with_the_tools(tmp_path / "venv"), wheels


def run_post_create(project, python, **env):
    """post-create.sh outside a container, with pip kept off every index (PIP_NO_INDEX), LOCK unset."""
    base = {key: value for key, value in os.environ.items() if key != "LOCK"}
    return subprocess.run(["bash", ".devcontainer/post-create.sh"], cwd=project, capture_output=True, text=True,
                          env={**base, "PYTHON": str(python), "PIP_NO_INDEX": "1", "PATH": path_without_az(), **env},
                          timeout=300, stdin=subprocess.DEVNULL)


def test_post_create_script_installs_the_locks_pins_with_their_option_lines_then_leaves_them_alone(offline_project):
    """The lock (a --find-links line, a pin) installs; a second run installs nothing, not even the newer release
    (as in the container, whose image has installed the lock). Without `az`, one line says so."""
    project, python, wheels = offline_project
    first = run_post_create(project, python)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert f"Successfully installed {PROBE}-1.0" in first.stdout
    about_az = [line for line in (first.stdout + first.stderr).splitlines() if "Azure CLI" in line]
    assert about_az == ["No Azure CLI here (az): its ml extension is not updated."]
    assert "Finished Training" in first.stdout and first.stdout.endswith("az login --use-device-code\n")
    write_wheel(wheels, PROBE, "2.0")  # a newer release: the lock's pin keeps the installed one
    second = run_post_create(project, python)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert f"Requirement already satisfied: {PROBE}==1.0" in second.stdout
    assert "Installing collected packages" not in second.stdout and "Successfully installed" not in second.stdout


@pytest.mark.parametrize("choice, version", [(None, "1.0"), ("LOCK", "2.0"), ("site", "2.0")])
def test_post_create_script_installs_the_cpu_lock_unless_lock_or_the_environments_own_names_another(
        offline_project, tmp_path, choice, version):
    """Outside the container pip gets .azureml/lock/cpu.txt; LOCK set wins, and so does the lock that the
    environment's own pip.conf names (the image's, in the container: CPU or CUDA 12.6)."""
    project, python, wheels = offline_project
    write_wheel(wheels, PROBE, "2.0")
    other = tmp_path / "other-lock.txt"
    other.write_text(f"--find-links {wheels.as_uri()}\n{PROBE}==2.0\n")
    env = {"LOCK": str(other)} if choice == "LOCK" else {}
    if choice == "site":  # as the Dockerfile writes it, into the environment's folder (sys.prefix)
        prefix = subprocess.run([str(python), "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True,
                                check=True).stdout.strip()
        Path(prefix, "pip.conf").write_text(f"[install]\nconstraint = {other}\n")
    result = run_post_create(project, python, **env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"Successfully installed {PROBE}-{version}" in result.stdout


def test_post_create_script_updates_the_azure_ml_extension_and_goes_on_if_that_fails(offline_project, tmp_path):
    """The login volume hides the image's az extensions: ml is upgraded; offline, a warning and it goes on."""
    project, python, _ = offline_project
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    calls = tmp_path / "az-calls"
    (bin_folder / "az").write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\nexit 1\n')  # records, then fails as offline
    (bin_folder / "az").chmod(0o755)
    result = run_post_create(project, python, PATH=f"{bin_folder}{os.pathsep}{path_without_az()}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert calls.read_text().splitlines() == ["extension add --name ml --upgrade --yes"]
    assert "warning: the Azure CLI's ml extension was not updated" in result.stdout
    assert "Finished Training" in result.stdout


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
    # "Run tests" on the broken file alone (the whole suite runs once per SDK, in the post-create test)
    result = run_task(task, project, timeout=600, more_args=[broken_file] if label == "Run tests" else [])
    assert result.returncode != 0
    found = problems(result.stdout + result.stderr, task["problemMatcher"])
    assert (str(path), line, breakage[1].strip()) in found, found
    assert all(Path(file).is_relative_to(project) for file, _, _ in found), found  # no library frames
