"""A newcomer's first hour: every command the bake or the README suggests does what it says, and the README is exact.

The README marks the commands that run offline by their comment: a command line in a ```bash block whose comment
says "offline" is run here, as written, in a fresh bake without the network.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import CONTEXT, TEMPLATE, bake, bake_cli
from test_editor_files import LINT_TASK

BLOCK_NETWORK = '''
import socket

_connect = socket.socket.connect

def _refuse(*args, **kwargs):
    raise OSError("network blocked by the test")

def _local_only(self, address, *args):
    if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "localhost", "::1"):
        _refuse()
    return _connect(self, address, *args)

socket.getaddrinfo = lambda host, *a, _real=socket.getaddrinfo, **k: (
    _real(host, *a, **k) if host in ("127.0.0.1", "localhost", "::1", None) else _refuse())
socket.socket.connect = _local_only
'''
SCRIPT = re.compile(r"\b\d\d-[a-z0-9-]+\.py\b")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def readme(project):
    return (project / "README.md").read_text()


def command_lines(text):
    """Each command of the README's ```bash blocks, as (command, comment)."""
    lines = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, re.M | re.S):
        joined = re.sub(r"\\\n\s*", " ", block)  # a command continued over lines is one command
        for line in joined.splitlines():
            command, *comment = re.split(r"\s+#\s", line.strip(), maxsplit=1)
            if command.strip():
                lines.append((command.strip(), comment[0] if comment else ""))
    return lines


def offline_commands(text):
    """The commands whose comment says they run offline: the README's promise, which the slow test keeps."""
    return [command for command, comment in command_lines(text) if re.search(r"\boffline\b", comment)]


def train_flags_in(text):
    """The flags the README gives train.py: on its command lines, in its flag list, and after `--` of a script."""
    flags = set()
    for command, _ in command_lines(text):
        if "src/train.py" in command:
            flags |= set(FLAG.findall(command.split("src/train.py", 1)[1]))
        elif SCRIPT.search(command) and " -- " in command:
            flags |= set(FLAG.findall(command.split(" -- ", 1)[1]))
    listed = re.search(r"^Flags: (.*?)\(`python src/train.py --help`\)", text, re.M | re.S)
    assert listed, "the README lists train.py's flags after 'Flags:'"
    flags |= set(FLAG.findall(listed.group(1)))
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # inline code only, outside the blocks
    for span in re.findall(r"`([^`\n]*train\.py[^`\n]*)`", prose):
        flags |= set(FLAG.findall(span.split("train.py", 1)[1]))
    return flags


def help_flags(project, script):
    result = subprocess.run([sys.executable, script, "--help"], cwd=project, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr
    return set(FLAG.findall(result.stdout)) - {"--help"}


@pytest.fixture(scope="module", params=["v1", "v2"])
def project(request, tmp_path_factory):
    return bake(tmp_path_factory.mktemp(f"first-hour-{request.param}"), sdk=request.param)


def test_the_module_map_names_files_of_the_bake_and_every_python_file_is_in_it(project):
    text = readme(project)
    table = re.search(r"^## What is where\n(.*?)^## ", text, re.M | re.S).group(1)
    rows = [line.split(" | ", 1) for line in table.splitlines() if line.startswith("| `")]
    ignored = (project / ".gitignore").read_text().splitlines()
    listed = set()
    for cell, description in rows:
        paths = re.findall(r"`([^`]+)`", cell)
        if "…" in cell:  # `01-…` … `04-…`: the scripts numbered from the first to the last
            first, last = (int(Path(p).name[:2]) for p in paths)
            paths = [p.name for p in project.glob("[0-9][0-9]-*.py") if first <= int(p.name[:2]) <= last]
            assert len(paths) == last - first + 1, cell
        for path in paths:
            assert (project / path).exists() or path in ignored, f"{path} (the README's module map) is not in the bake"
            listed.add(path.rstrip("/"))
            if path.endswith("/"):  # a folder's row names its modules: each is there
                for module in re.findall(r"`([\w.]+\.py)`", description):
                    assert (project / path / module).is_file(), f"{path}{module}"
    for file in project.rglob("*.py"):
        relative = file.relative_to(project)
        if "__pycache__" in relative.parts:
            continue
        assert any(relative.as_posix() == p or relative.as_posix().startswith(p + "/") for p in listed), (
            f"{relative} is neither in the README's module map nor in a folder listed there")


def test_every_flag_of_train_py_is_in_the_readme_and_every_flag_it_gives_train_py_exists(project):
    text = readme(project)
    flags = help_flags(project, "src/train.py")
    missing = sorted(flag for flag in flags if f"`{flag}" not in text)
    assert not missing, f"train.py's flags not in the README: {missing}"
    unknown = sorted(train_flags_in(text) - flags - {"--help"})
    assert not unknown, f"the README gives train.py flags it does not have: {unknown}"


@pytest.mark.slow  # each script's --help loads its SDK: seconds each
def test_every_script_the_readme_names_exists_with_the_flags_it_shows_and_every_script_is_named(project):
    text = readme(project)
    named = set(SCRIPT.findall(text))
    scripts = {path.name for path in project.glob("[0-9][0-9]-*.py")}
    assert named - scripts == set(), f"the README names scripts the bake lacks: {sorted(named - scripts)}"
    assert scripts - named == set(), f"scripts the README does not name: {sorted(scripts - named)}"
    shown = {}
    for command, _ in command_lines(text):
        words = command.split(" -- ")[0].split()
        if len(words) > 1 and words[0] == "python" and SCRIPT.fullmatch(words[1]):
            shown.setdefault(words[1], set()).update(FLAG.findall(" ".join(words[2:])))
    assert set(shown) >= {"01-create-workspace.py", "02-create-compute.py", "04-run-pytorch.py"}
    for script, flags in shown.items():
        unknown = sorted(flags - help_flags(project, script))
        assert not unknown, f"the README gives {script} flags it does not have: {unknown}"


def test_the_readmes_lint_command_is_the_lint_tasks_and_needs_only_pre_commit(project):
    # pre-commit's hooks come from GitHub, which the tests cannot reach: the command is checked, as for the task
    [script] = LINT_TASK["Lint"]
    assert '"pre_commit", "run", "--all-files"' in (project / script).read_text()  # what the task runs, in git
    text = re.sub(r"\s+", " ", readme(project))
    assert f'`pre-commit run --all-files` (the task "Lint", `python {script}`' in text
    # pre-commit comes with the tools' lock, installed with the environment's: the same single install as
    # post-create.sh's, whose environment the baked-suite test proves consistent (pip check)
    tools = re.search(r"`pip install (-r \.azureml/lock/cpu\.txt -r \.azureml/lock/dev-tools\.txt)`", text)
    post_create = re.search(r'^"\$PYTHON" -m pip install .*(-r "\$LOCK" -r \.azureml/lock/dev-tools\.txt)$',
                            (project / ".devcontainer" / "post-create.sh").read_text(), re.M)
    assert tools and post_create and tools.group(1) == post_create.group(1).replace('"$LOCK"', ".azureml/lock/cpu.txt")
    assert re.search(r"(?m)^pre-commit==", (project / ".azureml/lock/dev-tools.txt").read_text())
    assert "`pre-commit install`" in text


def test_the_readme_writes_no_package_list_of_its_own(project):
    """The installs take the lock's files: no range of the environment file is written twice."""
    text = readme(project)
    env = (project / ".azureml" / "pytorch-env.yml").read_text()
    pins = re.findall(r"^\s+- ([A-Za-z][\w.-]*[<>=!~][^\s#]*)", env, re.M)
    assert len(pins) >= 6
    for pin in pins:
        assert pin not in text and pin.split(",")[0] not in text, f"{pin} written by hand in the README"
    assert "pip install -r .azureml/lock/cpu.txt -r .azureml/lock/dev-tools.txt" in text


def bin_folder(tmp_path):
    """A folder with `python` and `cookiecutter` as the README types them, both this interpreter's."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, run in (("python", ""), ("cookiecutter", " -m cookiecutter")):
        (folder / name).write_text(f'#!/bin/sh\nexec "{sys.executable}"{run} "$@"\n')
        (folder / name).chmod(0o755)
    return folder


def shell(command, cwd, tmp_path, timeout=900):
    """Run one README command as written, with bash, offline (loopback only), with `python` this interpreter."""
    hook = tmp_path / "offline"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(BLOCK_NETWORK)
    env = {**os.environ, "PATH": f"{bin_folder_cached(tmp_path)}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(hook)}
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def bin_folder_cached(tmp_path):
    folder = tmp_path / "bin"
    return folder if folder.is_dir() else bin_folder(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="the README's commands are bash")
@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_the_bakes_next_command_and_every_offline_command_of_the_readme_do_what_they_say(tmp_path, sdk):
    baked = bake_cli(tmp_path / "out", f"sdk={sdk}")
    assert baked.returncode == 0, baked.stderr
    project = tmp_path / "out" / CONTEXT["project"]
    *_, next_line, last = baked.stdout.rstrip().splitlines()
    assert next_line == "Next (offline, seconds; then README.md, step by step):"
    named = re.fullmatch(r"  cd (\S+) && (python [^#]+)", last)  # the command alone: it pastes whole into a shell
    assert named, last
    # the README's steps from 1 on assume the workspace config that step 1 writes (or one downloaded): a made-up one
    (project / ".azureml" / "config.json").write_text(json.dumps(
        {"subscription_id": "01234567-89ab-cdef-0123-456789abcdef", "resource_group": "rg", "workspace_name": "ws"}))
    commands = offline_commands(readme(project))
    assert named.group(2) in commands, "the bake's next command is one the README gives as offline"
    assert any(c.startswith("python src/train.py") for c in commands) and "python -m pytest" in commands
    assert any("--dry-run" in c for c in commands) and "python aml/lock.py --check" in commands
    assert any(c.startswith("python src/predict.py") for c in commands) and "python 07-download-model.py --dry-run" in commands
    for command in commands:
        if command == "python -m pytest":
            continue  # the whole suite, minutes: test_editor_files runs it once per SDK, in a fresh environment
        if "pytest" in command:  # a part of that suite: here, which tests it picks (the run is the whole suite's)
            command += " --collect-only -q"
        result = shell(command, project, tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{command}\n{output[-3000:]}"
        assert "Traceback" not in output, command
        if "src/train.py" in command:  # it shows what it says: loss lines, then the summary
            assert re.search(r"^epoch=1, batch=  100: loss \d\.\d\d$", result.stdout, re.M), command
            assert "Finished Training" in result.stdout and "Saved: outputs/model.pt" in result.stdout
            metrics = json.loads((project / "outputs" / "metrics.json").read_text())
            assert metrics["loss"] is not None and len(metrics["losses"]) == 10
        if "src/predict.py" in command:  # the model step 4 trained classifies a sample and draws it as a grid
            assert re.search(r"^\d+ of the 16 test images classified right", result.stdout, re.M), command
            assert (project / "outputs" / "predictions.png").stat().st_size > 10_000, command
        if "aml/lock.py --check" in command:  # the lock the template ships agrees with the bake's files
            assert result.stdout == "The lock agrees with pytorch-env.yml, dev-tools.txt and serving-env.yml.\n", command
        if "pytest" in command:  # the quick tests, not none and not all
            picked = re.search(r"^(\d+)/(\d+) tests collected \((\d+) deselected\)", result.stdout, re.M)
            assert picked and 0 < int(picked[1]) < int(picked[2]), result.stdout[-500:]


@pytest.mark.slow
def test_the_v1_readmes_rebake_command_makes_the_v2_project_with_the_same_answers(tmp_path):
    answers = {"project": "my-cifar", "compute_name": "gpu-x", "max_nodes": "2", "experiment_name": "exp-1",
               "github_train_workflow": True}
    project = bake(tmp_path, **answers)
    text = readme(project)
    commands = [command for command, _ in command_lines(text) if command.startswith("cookiecutter --no-input")]
    assert len(commands) == 1 and "sdk=v2" in commands[0] and str(TEMPLATE) in commands[0]
    assert "sdk=v2" in text.split("## What is where")[0], "the re-bake command is in the note on v1's support"
    result = shell(commands[0], project, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    new = tmp_path / "my-cifar-v2"
    old_answers = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    new_answers = json.loads((new / ".cookiecutter.json").read_text())["cookiecutter"]
    changed = {key for key in old_answers if old_answers[key] != new_answers.get(key)}
    assert changed == {"project", "__check_project", "sdk", "__check_sdk"}
    assert new_answers["sdk"] == "v2" and (new / "job.yml").is_file()
    assert "sdk=v2" not in readme(new).split("## What is where")[0]


def screen(session):
    return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-S", "-200", "-t", session], capture_output=True,
                          text=True, check=True).stdout


def wait_for(session, text, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = screen(session)
        if " ".join(text.split()) in " ".join(shown.split()):  # a narrow terminal may wrap a long question
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared on the screen:\n{screen(session)}")


def interactive_bake(tmp_path, private_cookiecutter_config, answers):
    """Run cookiecutter in a terminal (tmux) and answer each question when it is asked; return the final screen."""
    out = tmp_path / "out"
    out.mkdir()
    session = f"first-hour-{uuid.uuid4().hex[:8]}"
    command = (f"cd {shlex.quote(str(out))} && unset COLUMNS LINES && COOKIECUTTER_CONFIG={private_cookiecutter_config / 'config.yaml'} "
               f"{shlex.quote(sys.executable)} -m cookiecutter {shlex.quote(str(TEMPLATE))}; echo EXIT=$?; sleep 300")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "250", "-y", "60", command], check=True)
    try:
        for number, (prompt, answer) in enumerate(answers, 1):
            wait_for(session, f"[{number}/13] {prompt}")
            subprocess.run(["tmux", "send-keys", "-t", session, answer, "Enter"], check=True)
        return wait_for(session, "EXIT="), out
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


PROMPTS = [(CONTEXT["__prompts__"][key], key) for key in CONTEXT if key in CONTEXT["__prompts__"]]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux, to bake at a terminal as a person does")
def test_an_interactive_bake_asks_each_question_once_and_names_the_next_command(tmp_path,
                                                                                private_cookiecutter_config):
    typed = {"experiment_name": "my-exp", "compute_name": "gpu-cluster", "max_nodes": "2", "sdk": "v2",
             "devcontainer_gpu": "n", "github_train_workflow": "y"}
    final, out = interactive_bake(tmp_path, private_cookiecutter_config,
                                  [(prompt, typed.get(key, "")) for prompt, key in PROMPTS])
    lines = [line.rstrip() for line in final.splitlines() if line.strip()]
    asked = [line for line in lines if re.match(r"\s+\[\d+/13\] ", line)]
    assert len(asked) == 13  # each question once, numbered
    assert "  [3/13] Compute cluster name (cpu-cluster): gpu-cluster" in asked
    assert any(line.startswith("  [6/13] Azure ML SDK: v1 (azureml-core") and line.endswith("(v1): v2") for line in asked)
    assert any(line.endswith("[y/n] (n): y") for line in asked)
    assert "Traceback" not in final and lines[-1] == "EXIT=0"
    assert lines[-3:-1] == ["Next (offline, seconds; then README.md, step by step):",
                            "  cd aml-cifar && python src/train.py --synthetic 2000 --log-interval 100"]
    answers = json.loads((out / "aml-cifar" / ".cookiecutter.json").read_text())["cookiecutter"]
    assert {key: answers[key] for key in typed if key not in ("devcontainer_gpu", "github_train_workflow")} == {
        key: value for key, value in typed.items() if key not in ("devcontainer_gpu", "github_train_workflow")}
    assert answers["github_train_workflow"] is True and answers["devcontainer_gpu"] is False


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux, to bake at a terminal as a person does")
def test_an_interactive_bake_stops_at_a_wrong_answer_with_one_line_and_nothing_on_disk(tmp_path,
                                                                                      private_cookiecutter_config):
    final, out = interactive_bake(tmp_path, private_cookiecutter_config,
                                  [(prompt, {"compute_name": "cluster_name"}.get(key, ""))
                                   for prompt, key in PROMPTS[:3]])
    lines = [line.rstrip() for line in final.splitlines() if line.strip()]
    assert lines[-3:] == [
        "  [3/13] Compute cluster name (cpu-cluster): cluster_name",
        lines[-2],
        "EXIT=1",
    ]
    assert lines[-2].startswith("Invalid answer for 'compute_name': 'cluster_name'. It must be "), final
    assert "[4/13]" not in final and "Traceback" not in final
    assert list(out.iterdir()) == []


def test_the_readme_has_no_code_spans_run_together(project):
    """Two code spans side by side (`a``b`) render as one broken span: each name is one span of its own."""
    assert re.findall(r".{0,30}(?<!`)``(?!`).{0,30}", readme(project)) == []
