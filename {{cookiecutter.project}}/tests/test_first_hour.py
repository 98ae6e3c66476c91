"""A newcomer's first hour: nothing finished is lost, and the run ends with lines a person reads."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest
import yaml
from conftest import ROOT, SRC, pseudo_terminal, run_script

import train

NO_PLOT_NO_BAR = "import sys\nsys.modules['matplotlib'] = None\nsys.modules['tqdm'] = None\n"
QUICK = ["--synthetic", "400", "--epochs", "1", "--log-interval", "25"]


def test_the_run_ends_with_what_the_accuracy_means_where_each_file_went_and_how_to_look(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    train.main([*QUICK, "--output-dir", "outputs"])
    lines = capsys.readouterr().out.splitlines()
    accuracy = next(i for i, line in enumerate(lines) if line.startswith("Accuracy on the 80 test images: "))
    assert re.fullmatch(r"Accuracy on the 80 test images: \d+\.\d%", lines[accuracy])  # the tutorial's line, as it was
    assert lines[accuracy + 1].startswith("(synthetic images: chance is 10%")
    assert lines[accuracy + 2] == "Saved: outputs/model.pt, outputs/metrics.json, outputs/loss.png"
    assert lines[accuracy + 3] == "See the plot: open outputs/loss.png (the numbers: outputs/metrics.json)"
    for name in ("model.pt", "metrics.json", "loss.png"):
        assert (tmp_path / "outputs" / name).is_file()


def run_on_a_terminal(args, cwd, env=None, timeout=300):
    """Run train.py with stdout on a pseudo-terminal (as in a person's terminal); return (exit code, its text)."""
    leader, follower = pseudo_terminal()
    process = subprocess.Popen(
        [sys.executable, str(SRC / "train.py"), *args],
        cwd=cwd,
        stdout=follower,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=timeout), b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")


@pytest.mark.slow
def test_without_matplotlib_and_tqdm_training_saves_its_outputs_and_says_in_one_line_each(tmp_path):
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(NO_PLOT_NO_BAR)
    out = tmp_path / "out"
    code, text = run_on_a_terminal([*QUICK, "--output-dir", str(out)], cwd=ROOT, env={"PYTHONPATH": str(shim)})
    assert code == 0, text
    assert "Traceback" not in text
    assert (out / "model.pt").is_file() and (out / "metrics.json").is_file() and not (out / "loss.png").exists()
    said = [line for line in text.splitlines() if "is not installed" in line and "metrics go to" not in line]
    assert said == [
        "tqdm is not installed: no progress bar (install it: pip install tqdm)",
        "matplotlib is not installed: no loss.png (install it: pip install matplotlib)",
    ], text
    assert "Saved: " in text and "loss.png" not in text.split("Saved: ")[1].splitlines()[0]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C is a console event on Windows, not SIGINT")
def test_ctrl_c_stops_with_one_line_keeps_the_checkpoint_and_its_resume_command_finishes_the_run(tmp_path):
    out = tmp_path / "out"
    flags = ["--synthetic", "2000", "--epochs", "2", "--log-interval", "50", "--checkpoint-every", "50"]
    process = subprocess.Popen(
        [sys.executable, "src/train.py", *flags, "--output-dir", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as at a terminal, even if started in one
    )
    deadline = time.monotonic() + 300
    while not (out / "checkpoint.pt").is_file() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert "Traceback" not in stdout + stderr and "KeyboardInterrupt" not in stdout + stderr
    last = stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"Stopped \(Ctrl-C\)\. Kept the last checkpoint, .+ \(epoch \d, step \d+\); go on with: .+", last
    )
    assert stdout.count("Stopped (Ctrl-C)") == 1
    assert (out / "checkpoint.pt").is_file() and not (out / "model.pt").exists()

    command = shlex.split(last.split("go on with: ")[1])
    assert command[:3] == ["python", "src/train.py", "--resume"]
    assert command[3:] == [*flags, "--output-dir", str(out)]
    resumed = subprocess.run(
        [sys.executable, *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    assert resumed.stdout.startswith("Resumed from ") or "\nResumed from " in resumed.stdout
    assert "Finished Training" in resumed.stdout and (out / "model.pt").is_file()
    assert not (out / "checkpoint.pt").exists()


INSTALL_FROM_THE_LOCK = "pip install -r .azureml/lock/cpu.txt -r .azureml/lock/dev-tools.txt"


def test_the_readmes_install_without_conda_is_the_lock_and_no_list_by_hand():
    readme = (ROOT / "README.md").read_text()
    assert INSTALL_FROM_THE_LOCK in readme
    pip = yaml.safe_load((ROOT / ".azureml" / "pytorch-env.yml").read_text())["dependencies"][-1]["pip"]
    for requirement in pip:  # no second list by hand: no requirement of the env file is written out again
        assert requirement not in readme, requirement


@pytest.mark.parametrize("flag", ["--output-dir", "--checkpoint-dir"])
def test_an_output_folder_that_is_a_file_stops_before_training_with_one_line(tmp_path, flag):
    taken = tmp_path / "taken"
    taken.write_text("a file of the user's\n")
    result = run_script("src/train.py", *QUICK, "--output-dir", str(tmp_path / "out"), flag, str(taken))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "epoch=" not in result.stdout
    assert (
        result.stderr.strip() == f"error: {flag} {taken} is a file, not a folder. Fix: give a folder, such as outputs/"
    )
    assert taken.read_text() == "a file of the user's\n"


def test_an_output_folder_that_cannot_be_written_stops_before_training_with_one_line(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere: a folder below a file cannot be made, for anyone
            locked = tmp_path / "file" / "outputs"
            (tmp_path / "file").write_text("")
        result = run_script("src/train.py", *QUICK, "--output-dir", str(locked))
    finally:
        (tmp_path / "locked").chmod(0o700)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "epoch=" not in result.stdout
    assert result.stderr.startswith(f"error: --output-dir {locked} cannot be written to (")
    assert "Fix: give a folder you can write to" in result.stderr


def test_a_data_path_that_is_a_file_is_named_as_a_file_not_a_download_problem(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# notes\n")
    result = run_script("src/train.py", "--data-path", str(readme), "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: --data-path {readme} is a file, not a folder for CIFAR-10. Fix: ")
    assert "download" not in result.stderr.split("Fix:")[0] and not (tmp_path / "out").exists()


def test_training_again_keeps_the_previous_model_and_says_where(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    train.main([*QUICK, "--output-dir", "outputs"])
    first = (tmp_path / "outputs" / "model.pt").read_bytes()
    capsys.readouterr()
    train.main([*QUICK, "--output-dir", "outputs", "--seed", "1"])
    printed = capsys.readouterr().out
    assert printed.strip().splitlines()[-1] == "Kept the previous run's model as outputs/model.previous.pt"
    assert "Saved: outputs/model.pt, outputs/metrics.json, outputs/loss.png\n" in printed
    assert (tmp_path / "outputs" / "model.previous.pt").read_bytes() == first
    assert (tmp_path / "outputs" / "model.pt").read_bytes() != first


@pytest.mark.parametrize("script", ["src/train.py", "src/predict.py"])
def test_without_pytorch_each_script_names_the_install_step_in_one_line(tmp_path, script):
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import sys\nsys.modules['torch'] = None\nsys.modules['torchvision'] = None\n"
    )
    result = run_script(script, "--synthetic", "10", env={"PYTHONPATH": str(shim)})
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: PyTorch (torch), torchvision are not installed in this Python (")
    assert "Fix: open the project in its dev container (VS Code: Reopen in Container)" in line
    assert "conda env create -f .azureml/pytorch-env.yml && conda activate " in line
    assert line.endswith(INSTALL_FROM_THE_LOCK)


def test_lint_outside_a_git_repository_says_how_to_make_one_and_inside_runs_pre_commit_on_every_file(
    project_copy, tmp_path
):
    fake = tmp_path / "fake" / "pre_commit"  # pre-commit's hooks come from GitHub: a stand-in records its flags
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(
        f"import sys\nopen({str(tmp_path / 'flags')!r}, 'w').write(' '.join(sys.argv[1:]))\n"
    )
    env = {"PYTHONPATH": str(tmp_path / "fake"), "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    outside = run_script("aml/lint.py", cwd=project_copy, env=env)
    assert outside.returncode == 1 and "Traceback" not in outside.stderr and not (tmp_path / "flags").exists()
    assert outside.stderr.splitlines() == [
        "error: pre-commit checks the files of a git repository, and this folder is not one yet",
        'fix: git init -b main && git add -A (README: "Put it on GitHub"), then run Lint again',
    ]
    subprocess.run(["git", "init", "-q"], cwd=project_copy, check=True, timeout=60)
    inside = run_script("aml/lint.py", cwd=project_copy, env=env)
    assert inside.returncode == 0, inside.stderr
    assert (tmp_path / "flags").read_text() == "run --all-files"
