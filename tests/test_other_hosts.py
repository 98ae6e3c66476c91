"""Windows and macOS hosts: the project's tests run where POSIX-only modules are missing, and what runs on a host
(control scripts, src/, VS Code's tasks) names its interpreter and paths portably, with no POSIX shell idiom."""
import ast
import os
import re
import subprocess
import sys

import json5
import pytest

from conftest import bake

POSIX_ONLY = ("pty", "termios", "fcntl")
# Loaded first by every Python process of the run below (sitecustomize): the modules Windows lacks cannot be imported
WITHOUT_POSIX_MODULES = f'''
import sys

class _WindowsLikeFinder:
    def find_spec(self, name, path=None, target=None):
        if name in {POSIX_ONLY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _WindowsLikeFinder())
'''
# Run on the user's machine: the control scripts, their helpers and src/ (not .devcontainer/, which is Linux); a
# subprocess that is Python runs sys.executable, and `python` in a printed command is the name on every system
HOST_CODE = ("*.py", "aml/*.py", "src/*.py")
SHELL_WORDS = re.compile(r"^(python3|bash|sh|/bin/\w+|/usr/bin/\w+)$|/dev/null|2>&1|/tmp/")


@pytest.mark.slow
@pytest.mark.baked_suite
def test_projects_suite_collects_and_passes_where_pty_termios_and_fcntl_are_missing(tmp_path):
    project = bake(tmp_path / "baked")
    hook = tmp_path / "windows-like"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(WITHOUT_POSIX_MODULES)
    probe = subprocess.run([sys.executable, "-c", "import pty"], env={**os.environ, "PYTHONPATH": str(hook)},
                           capture_output=True, text=True, timeout=60)
    assert "No module named 'pty'" in probe.stderr  # the hook does hide them
    host = {name: value for name, value in os.environ.items() if name != "CI"}  # a person's machine: skips allowed
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist"],
                            cwd=project, capture_output=True, text=True, timeout=1500, stdin=subprocess.DEVNULL,
                            env={**host, "PYTHONPATH": str(hook)})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips and all("needs a pseudo-terminal (the pty module)" in line for line in skips), skips
    summary = result.stdout.strip().splitlines()[-1]
    skipped = sum(int(n) for n in re.findall(r"SKIPPED \[(\d+)\]", "\n".join(skips)))
    assert re.search(r"\b\d+ passed\b", summary) and f"{skipped} skipped" in summary and "failed" not in summary


@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_code_that_runs_on_a_host_uses_no_posix_shell_idiom(tmp_path, sdk):
    project = bake(tmp_path, sdk=sdk)
    checked = sorted(path for pattern in HOST_CODE for path in project.glob(pattern))
    assert len(checked) > 20
    for path in checked:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(project)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call):
                assert not any(k.arg == "shell" and getattr(k.value, "value", False) for k in node.keywords), where
                assert ast.unparse(node.func) not in ("os.system", "os.popen"), where
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not SHELL_WORDS.search(node.value), (where, node.value)


def test_shell_idiom_check_catches_a_slip():
    for slip in ("python3", "/dev/null", "bash", "cmd 2>&1", "/tmp/x"):
        assert SHELL_WORDS.search(slip), slip
    for fine in ("python", "src/train.py", "outputs", "sh-style"):  # python: the name on every system
        assert not SHELL_WORDS.search(fine), fine


@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_every_vscode_task_runs_the_selected_interpreter_or_says_how_on_windows(tmp_path, sdk):
    project = bake(tmp_path, sdk=sdk)
    tasks = json5.loads((project / ".vscode" / "tasks.json").read_text())["tasks"]
    for task in tasks:
        portable = task["type"] == "process" and task["command"] == "${command:python.interpreterPath}"
        assert portable or "windows" in task, task["label"]
