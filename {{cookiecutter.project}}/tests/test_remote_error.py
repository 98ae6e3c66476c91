"""A failed run's traceback brought home: its frames in src/ become this folder's files, as VS Code's Problems read."""

import json
import re
import shutil
import subprocess
import sys

from aml import remote_error
from aml.arguments import submission_arguments

import pytest
from conftest import ROOT, SRC, run_script

BROKEN = ("        x = self.pool(F.relu(self.conv1(x)))", "        raise ValueError('broken on purpose')")
# Where Azure ML runs the snapshot of src/: its working folder on the node
REMOTE_WD = "mnt/azureml/cr/j/0123456789abcdef/exe/wd"


def problems(output, matcher):
    """Apply a tasks.json problem matcher to a task's output as VS Code does: (file, line, message) per match."""
    first, second = matcher["pattern"]
    start, follow = re.compile(first["regexp"]), re.compile(second["regexp"])
    lines = output.splitlines()
    return [
        (head[first["file"]], int(head[first["line"]]), tail[second["message"]])
        for head, tail in ((start.match(a), follow.match(b)) for a, b in zip(lines, lines[1:], strict=False))
        if head and tail
    ]


def task(label):
    """A task of .vscode/tasks.json (JSON with comments: the comment lines dropped)."""
    text = (ROOT / ".vscode" / "tasks.json").read_text()
    tasks = json.loads(re.sub(r"(?m)^\s*//.*$|\s+//[^\"\n]*$", "", text))["tasks"]
    return next(t for t in tasks if t["label"] == label)


@pytest.fixture(scope="module")
def failed_run_log(tmp_path_factory):
    """The std_log.txt of a training run that failed as on Azure ML: src/ copied into a folder named as the
    node's working folder, model.py broken there, train.py run in it; a real traceback with other paths."""
    base = tmp_path_factory.mktemp("node")
    wd = base / REMOTE_WD
    shutil.copytree(SRC, wd, ignore=shutil.ignore_patterns("__pycache__", "data", "outputs"))
    model = wd / "model.py"
    text = model.read_text()
    assert BROKEN[0] in text
    model.write_text(text.replace(BROKEN[0], BROKEN[1], 1))
    result = subprocess.run(
        [sys.executable, str(wd / "train.py"), "--synthetic", "64", "--epochs", "1", "--device", "cpu"],
        cwd=wd,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0 and "broken on purpose" in result.stderr, result.stderr[-2000:]
    assert str(wd) in result.stderr  # the frames name the node's folder, not this one
    line = text.splitlines().index(BROKEN[0]) + 1
    # as the job writes it: the environment's start, the run's output, the traceback, then the end
    log = "Starting the daemon thread to refresh tokens in background for process\n" + result.stdout + result.stderr
    return log + "\nCleaning up all outstanding Run operations, waiting 300.0 seconds\n", line


def test_the_traceback_of_a_failed_run_points_at_this_folders_src_and_the_problem_matcher_reads_it(failed_run_log):
    log, line = failed_run_log
    lines = remote_error.traceback_lines(log)
    assert lines[0] == "Traceback (most recent call last):" and lines[-1] == "ValueError: broken on purpose"
    found = problems("\n".join(lines), task("Show the last run's error")["problemMatcher"])
    assert found[-1] == (str(SRC / "model.py"), line, BROKEN[1].strip())  # the failing line, in this folder
    assert (str(SRC / "train.py")) in [file for file, _, _ in found]
    for file, number, code in found:  # every frame the matcher takes: a file here, its line, the line's code
        assert file.startswith(str(SRC)) and (SRC / file).is_file(), file
        if file != str(SRC / "model.py"):
            assert (SRC / file).read_text().splitlines()[number - 1].strip() == code
    assert REMOTE_WD not in "\n".join(lines)  # every frame of src/ is this folder's


def test_library_frames_keep_their_paths_and_are_not_problems():
    log = (
        "Traceback (most recent call last):\n"
        f'  File "/{REMOTE_WD}/train.py", line 3, in <module>\n'
        "    main()\n"
        '  File "/opt/conda/envs/py/lib/python3.12/site-packages/torch/nn/modules/module.py", line 1739, in _call\n'
        "    return forward_call(*args, **kwargs)\n"
        "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "RuntimeError: shapes do not match\n"
    )
    lines = remote_error.traceback_lines(log)
    assert lines[1] == f'  File "{SRC / "train.py"}", line 3, in <module>'
    assert '"/opt/conda/envs/py/lib/python3.12/site-packages/torch/nn/modules/module.py", line 1739' in lines[3]
    assert lines[-1] == "RuntimeError: shapes do not match"
    matcher = task("Show the last run's error")["problemMatcher"]
    assert [file for file, _, _ in problems("\n".join(lines), matcher)] == [str(SRC / "train.py")]


def test_the_log_with_the_traceback_is_chosen_and_a_log_without_one_shows_its_end(capsys):
    logs = {"system_logs/cs_capability.txt": "ok", "user_logs/std_log.txt": "epoch 1\nKilled\n"}
    assert remote_error.report(logs, "run-1") is False
    assert "no Python traceback in user_logs/std_log.txt" in capsys.readouterr().out
    logs["azureml-logs/70_driver_log.txt"] = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\nE: e\n'
    assert remote_error.pick_log(logs)[0] == "azureml-logs/70_driver_log.txt"
    assert remote_error.report({}, "run-1") is False


def test_the_last_run_is_remembered_and_without_one_the_message_says_how_to_get_one(tmp_path):
    path = tmp_path / "last-run.txt"
    with pytest.raises(SystemExit) as stop:
        remote_error.run_id(remote_error.LAST, path=path)
    assert str(stop.value).startswith("error: no run submitted from this folder yet")
    assert "--logs RUN_ID" in str(stop.value)
    remote_error.remember("day1_1700000000_abcd", path=path)
    assert remote_error.run_id(remote_error.LAST, path=path) == "day1_1700000000_abcd"
    assert remote_error.run_id("other-run", path=path) == "other-run"
    assert submission_arguments("test", ["--logs"]).logs == remote_error.LAST
    assert submission_arguments("test", ["--logs", "abc"]).logs == "abc"


@pytest.mark.parametrize("what", ["run", "job"])  # SDK v1 submits runs, v2 jobs
def test_a_failed_run_stops_with_its_error_in_a_line_and_how_to_see_it_again(what):
    with pytest.raises(SystemExit) as stop:
        remote_error.failed(what, "day1_1700000000_abcd", ValueError("Message: UserError: broken on purpose"))
    assert str(stop.value) == (
        f"error: {what} day1_1700000000_abcd failed: UserError: broken on purpose\n"
        "fix: fix the line the traceback above names in src/, then submit again "
        "(python 04-run-pytorch.py --logs day1_1700000000_abcd shows it again)"
    )


@pytest.mark.slow
def test_logs_without_a_workspace_config_says_so_in_one_message_offline(project_copy, offline):
    env, network_log = offline
    result = run_script("04-run-pytorch.py", "--logs", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no workspace config") and "01-create-workspace.py" in result.stderr
    assert not network_log.exists()
    (project_copy / ".azureml" / "last-run.txt").unlink(missing_ok=True)
    (project_copy / ".azureml" / "config.json").write_text(
        json.dumps({"subscription_id": "s", "resource_group": "rg", "workspace_name": "ws1"})
    )
    result = run_script("04-run-pytorch.py", "--logs", cwd=project_copy, env=env)
    assert result.returncode == 1 and result.stderr.startswith("error: no run submitted from this folder yet")
    assert not network_log.exists()
