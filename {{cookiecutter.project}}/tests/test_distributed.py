"""Training as several processes under torchrun, and checkpoints that let a killed run go on where it was if asked."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
import torch
from conftest import ROOT, SRC, run_script

import checkpoints
import data
import train

LOSS_LINE = re.compile(r"^epoch=(\d+), batch=([ \d]{4}\d): loss (\d+\.\d\d)$", re.M)
RESUMED = re.compile(r"^Resumed from (.+): epoch (\d+), step (\d+) \(going on with epoch \d+.*\)$", re.M)
NOTE = re.compile(r"^Note: (.+) holds the checkpoint of an interrupted run .*: (python \S+ --resume .*)$", re.M)
OUTPUTS = ["loss.png", "metrics.json", "model.pt"]

# Loaded into each process torchrun starts (not into torchrun itself): every rank appends a line per epoch of the
# images it trained on (a hash of each) to VISITED_LOG.<rank>, and the paths it gives torch.save to SAVED_LOG.<rank>.
RECORDER = '''
import hashlib, os, sys

if "LOCAL_RANK" in os.environ:
    import torch

    sys.path.insert(0, os.environ["RECORDER_SRC"])
    import data  # the module train.py will find imported already
    sys.path.pop(0)
    rank, iterate, save = os.environ["RANK"], data.ResidentLoader.__iter__, torch.save

    def recording_iter(self):
        seen = []
        for images, labels in iterate(self):
            seen += [hashlib.sha1(image.cpu().numpy().tobytes()).hexdigest() for image in images]
            yield images, labels
        if self.shuffle:  # the training data, not the test set
            with open(os.environ["VISITED_LOG"] + "." + rank, "a") as log:
                log.write(" ".join(seen) + "\\n")

    def recording_save(obj, path, *args, **kwargs):
        with open(os.environ["SAVED_LOG"] + "." + rank, "a") as log:
            log.write(str(path) + "\\n")
        return save(obj, path, *args, **kwargs)

    data.ResidentLoader.__iter__ = recording_iter
    torch.save = recording_save
'''


def free_port():
    """A TCP port that nothing listens on now, for torchrun's rendezvous."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def kill_left(*processes):
    """Kill and reap each process still running, so that a test that fails midway leaves none behind."""
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def sitecustomize(tmp_path, code):
    """A folder whose sitecustomize.py runs code first in every Python process that has the folder on PYTHONPATH."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(code)
    return hook


@pytest.mark.slow
def test_torchrun_trains_each_rank_on_its_own_shard_and_rank_0_alone_prints_and_saves(tmp_path):
    hook = sitecustomize(tmp_path, RECORDER)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]),
        "RECORDER_SRC": str(SRC),
        "VISITED_LOG": str(tmp_path / "visited"),
        "SAVED_LOG": str(tmp_path / "saved"),
    }
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    out = tmp_path / "outputs"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(free_port()),
        "src/train.py",
        "--synthetic",
        "800",
        "--epochs",
        "3",
        "--lr",
        "0.003",
        "--log-interval",
        "25",
        "--seed",
        "0",
        "--threads",
        "1",
        "--device",
        "cpu",  # the ranks' logic on the CPU (gloo), on a GPU host too: it may have one GPU for two ranks
        "--output-dir",
        str(out),
    ]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stdout + result.stderr

    # printed once, by rank 0: 100 batches of 4 per rank and epoch, so each rank trains on 400 of the 800 images
    lines = LOSS_LINE.findall(result.stdout)
    assert [(int(epoch), int(batch)) for epoch, batch, _ in lines] == [
        (epoch, batch) for epoch in (1, 2, 3) for batch in (25, 50, 75, 100)
    ]
    assert float(lines[-1][2]) < float(lines[0][2]) - 1.0  # the loss falls
    assert result.stdout.count("Finished Training") == 1 and result.stdout.count("Accuracy on the") == 1
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["processes"], metrics["steps"], metrics["images"]) == (2, 300, 2400)
    assert [f"{loss:.2f}" for loss in metrics["losses"]] == [loss for _, _, loss in lines]

    # one set of outputs, saved by rank 0 alone (its checkpoints too), the last checkpoint removed at the end
    assert sorted(path.name for path in out.iterdir()) == OUTPUTS
    assert not (tmp_path / "saved.1").exists()
    saved = (tmp_path / "saved.0").read_text().split()
    assert saved[-1] == str(out / "model.pt") and len(saved) == 4  # a checkpoint after each epoch, then the model

    # each epoch the two ranks train on disjoint halves of the data, in a fresh order
    visited = [[line.split() for line in (tmp_path / f"visited.{rank}").read_text().splitlines()] for rank in (0, 1)]
    assert len(visited[0]) == len(visited[1]) == 3
    for mine, theirs in zip(*visited, strict=True):
        assert len(mine) == len(set(mine)) == len(theirs) == len(set(theirs)) == 400
        assert not set(mine) & set(theirs)
        assert len(set(mine) | set(theirs)) == 800
    assert visited[0][0] != visited[0][1]


def test_the_shards_of_an_epoch_are_disjoint_equal_and_all_but_the_remainder():
    trainset, _ = data.load_cifar10(None, synthetic=103)
    reference = {trainset[i][0].numpy().tobytes(): i for i in range(len(trainset))}
    loaders = [
        data.ResidentLoader(trainset, batch_size=4, rank=rank, world_size=3, generator=torch.Generator().manual_seed(5))
        for rank in range(3)
    ]
    assert [len(loader) for loader in loaders] == [9, 9, 9]  # 34 images each: 8 batches of 4 and one of 2
    epochs = []
    for _ in range(2):
        shards = [
            [reference[image.numpy().tobytes()] for images, _ in loader for image in images] for loader in loaders
        ]
        assert [len(shard) for shard in shards] == [34, 34, 34]
        assert len(set().union(*shards)) == 102  # disjoint; the one left over goes to no rank this epoch
        epochs.append(shards)
    assert epochs[0] != epochs[1]


class Preempted(Exception):
    """Stands in for the machine going away."""


FLAGS = ["--synthetic", "400", "--epochs", "2", "--log-interval", "25", "--seed", "0", "--checkpoint-every", "30"]


def stop_at_step_60(out, monkeypatch, kept=None):
    """Train with FLAGS into out (its checkpoints into kept, when given) until the machine goes away after the
    checkpoint at step 60 (of 100 per epoch); the flags it trained with."""
    flags = FLAGS + ["--output-dir", str(out)] + (["--checkpoint-dir", str(kept)] if kept else [])
    saved, save = [], checkpoints.Checkpoint.save

    def save_then_stop(self, epoch, step, *rest):
        save(self, epoch, step, *rest)
        saved.append((epoch, step))
        if len(saved) == 2:
            raise Preempted

    with monkeypatch.context() as patch:
        patch.setattr(checkpoints.Checkpoint, "save", save_then_stop)
        with pytest.raises(Preempted):
            train.train(train.parse_args(flags))
    assert saved == [(0, 30), (0, 60)]
    assert sorted(path.name for path in (kept or out).iterdir()) == ["checkpoint.pt"]
    return flags


def test_checkpoint_every_k_steps_saves_mid_epoch_and_resuming_from_it_finishes_the_same_run(
    tmp_path, monkeypatch, capsys
):
    flags = FLAGS
    whole = train.train(train.parse_args(flags + ["--output-dir", str(tmp_path / "whole")]))
    assert whole["steps"] == 200  # 100 mini-batches of 4 per epoch

    out = tmp_path / "preempted"
    stop_at_step_60(out, monkeypatch)
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert (state["epoch"], state["step"], state["steps"]) == (0, 60, 60)
    assert state["flags"] == flags + ["--output-dir", str(out)]  # to say how to resume
    shutil.copytree(out, tmp_path / "afresh")
    capsys.readouterr()

    resumed = train.train(train.parse_args(flags + ["--output-dir", str(out), "--resume"]))
    printed = capsys.readouterr().out
    assert RESUMED.findall(printed) == [(str(out / "checkpoint.pt"), "1", "60")]
    assert [(int(e), int(b)) for e, b, _ in LOSS_LINE.findall(printed)] == [
        (1, 75),
        (1, 100),
        (2, 25),
        (2, 50),
        (2, 75),
        (2, 100),
    ]
    assert resumed["steps"] == whole["steps"]
    assert resumed["losses"] == whole["losses"]  # the same order, RNG, weights and partial loss sums as without a stop
    assert resumed["images"] == 400 - 60 * 4 + 400  # only the remaining work
    assert sorted(path.name for path in out.iterdir()) == OUTPUTS

    afresh = train.train(train.parse_args(flags + ["--output-dir", str(tmp_path / "afresh")]))
    assert "Resumed" not in capsys.readouterr().out
    assert afresh["steps"] == 200 and afresh["losses"] == whole["losses"]


def test_in_an_azure_ml_job_a_restarted_run_resumes_without_being_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AZUREML_RUN_ID", "cifar_1700000000_0a1b2c3d")  # Azure ML sets it in every job, v1 or v2
    whole = train.train(train.parse_args(FLAGS + ["--output-dir", str(tmp_path / "whole")]))
    assert "checkpoint" not in capsys.readouterr().out  # the job's first start: nothing to resume, nothing said
    out = tmp_path / "preempted"
    stop_at_step_60(out, monkeypatch)
    capsys.readouterr()
    resumed = train.train(train.parse_args(FLAGS + ["--output-dir", str(out)]))  # the job's restart: the same flags
    assert RESUMED.findall(capsys.readouterr().out) == [(str(out / "checkpoint.pt"), "1", "60")]
    assert resumed["steps"] == whole["steps"] == 200 and resumed["losses"] == whole["losses"]
    assert sorted(path.name for path in out.iterdir()) == OUTPUTS


def test_a_local_run_after_a_stopped_one_starts_afresh_and_says_how_to_resume(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AZUREML_RUN_ID", raising=False)
    out = tmp_path / "outputs"
    stop_at_step_60(out, monkeypatch)
    capsys.readouterr()
    afresh = train.train(train.parse_args(FLAGS + ["--output-dir", str(out)]))
    printed = capsys.readouterr().out
    assert "Resumed" not in printed and afresh["steps"] == 200 and afresh["images"] == 800
    [(path, command)] = NOTE.findall(printed)
    assert path == str(out / "checkpoint.pt") and "(stopped in epoch 1, step 60)" in printed
    assert command.split()[2:] == ["--resume", *FLAGS, "--output-dir", str(out)]
    assert command.split()[1].endswith("train.py")
    assert sorted(path.name for path in out.iterdir()) == OUTPUTS  # its own run done: its checkpoint gone too


@pytest.mark.parametrize(
    "other",
    [["--batch-size", "8"], ["--epochs", "1"], ["--synthetic", "200"]],
    ids=["batch-size", "fewer-epochs", "other-data"],
)
def test_other_flags_after_a_stopped_run_train_normally(other, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AZUREML_RUN_ID", raising=False)
    out = tmp_path / "outputs"
    stop_at_step_60(out, monkeypatch)
    capsys.readouterr()
    metrics = train.train(train.parse_args(FLAGS + ["--output-dir", str(out)] + other))
    printed = capsys.readouterr().out
    assert len(NOTE.findall(printed)) == 1 and "Resumed" not in printed and "error" not in printed
    expected = {"--batch-size": 800, "--epochs": 400, "--synthetic": 2 * 200}[other[0]]  # every image of the run
    assert metrics["images"] == expected and re.search(rf"^Trained {expected} images in ", printed, re.M)
    assert sorted(path.name for path in out.iterdir()) == OUTPUTS


def test_a_checkpoint_of_other_flags_is_refused_with_the_fix_when_resuming(tmp_path, monkeypatch):
    flags = ["--synthetic", "200", "--epochs", "1", "--log-interval", "25", "--output-dir", str(tmp_path)]
    monkeypatch.setattr(checkpoints.Checkpoint, "remove", lambda self: None)  # keep the last one, as a kill would
    train.train(train.parse_args(flags))
    with pytest.raises(SystemExit, match="drop --resume to start afresh") as refused:
        train.train(train.parse_args(flags + ["--batch-size", "8", "--resume"]))
    assert "is from a run with other data, --batch-size or number of processes" in str(refused.value)
    assert f"--resume {' '.join(flags)})" in str(refused.value)  # the command that resumes it


def test_resuming_past_the_epochs_asked_for_is_refused_with_the_fix(tmp_path, monkeypatch):
    flags = ["--synthetic", "200", "--epochs", "2", "--log-interval", "25", "--output-dir", str(tmp_path)]
    monkeypatch.setattr(checkpoints.Checkpoint, "remove", lambda self: None)  # keep the last one, as a kill would
    train.train(train.parse_args(flags))
    with pytest.raises(SystemExit, match=r"stopped in epoch 2, past --epochs 1\. Fix: .*drop --resume to start"):
        train.train(train.parse_args(flags + ["--epochs", "1", "--resume"]))


def test_a_checkpoint_cut_off_while_moved_into_place_on_a_datastore_mount_resumes_from_the_one_before(
    tmp_path, monkeypatch, capsys
):
    """On a blobfuse mount a rename is a copy and a delete: a kill halfway leaves half a checkpoint.pt, and the run
    goes on from the checkpoint before it, which stays until the new one is whole."""
    flags = ["--synthetic", "200", "--epochs", "2", "--log-interval", "25", "--checkpoint-every", "10", "--seed", "0"]
    flags += ["--output-dir", str(tmp_path)]
    moves = []

    class Killed(BaseException):
        """The process's end, as SIGKILL brings it: nothing of the run's own runs after it."""

    def blobfuse_rename(source, target):  # copy, then delete; the 5th is cut off halfway through the copy
        moves.append(Path(target).name)
        data = Path(source).read_bytes()
        cut = len(moves) == 5
        Path(target).write_bytes(data[: len(data) // 2] if cut else data)
        if cut:
            raise Killed
        os.remove(source)

    monkeypatch.setattr(checkpoints, "os", types.SimpleNamespace(**{**vars(os), "replace": blobfuse_rename}))
    with pytest.raises(Killed):
        train.train(train.parse_args(flags))
    # steps 10, 20, 30: the first moved into place, each later one after moving the one before it aside
    assert moves == ["checkpoint.pt", *["checkpoint.previous.pt", "checkpoint.pt"] * 2]
    with pytest.raises(RuntimeError):  # half a checkpoint, as the kill left it
        torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    monkeypatch.setattr(checkpoints, "os", os)
    capsys.readouterr()
    metrics = train.train(train.parse_args(flags + ["--resume"]))
    printed = capsys.readouterr().out
    previous = tmp_path / "checkpoint.previous.pt"
    resumed = f"Resumed from {previous}: epoch 1, step 20 (going on with epoch 1 at mini-batch 21)"
    assert resumed in printed
    assert metrics["steps"] == 100 and sorted(path.name for path in tmp_path.iterdir()) == OUTPUTS


def test_a_run_resumes_from_an_earlier_runs_folder_only_reading_it_and_keeps_its_own_checkpoints(
    tmp_path, monkeypatch, capsys
):
    earlier, own = tmp_path / "earlier", tmp_path / "own"
    flags = ["--synthetic", "200", "--epochs", "2", "--log-interval", "25", "--seed", "0"]
    monkeypatch.setattr(checkpoints.Checkpoint, "remove", lambda self: None)  # kept, as a cancelled run keeps it
    train.train(train.parse_args([*flags, "--epochs", "1", "--output-dir", str(earlier)]))
    before = {path.name: path.read_bytes() for path in earlier.iterdir()}
    monkeypatch.undo()
    capsys.readouterr()
    args = [*flags, "--output-dir", str(own), "--checkpoint-dir", str(own), "--resume-from", str(earlier)]
    metrics = train.train(train.parse_args(args))
    printed = capsys.readouterr().out
    resumed = f"Resumed from {earlier / 'checkpoint.pt'}: epoch 1, step 50 (going on with epoch 2, from its start)"
    assert resumed in printed  # after the last complete epoch
    assert metrics["steps"] == 100 and len(LOSS_LINE.findall(printed)) == 2  # only epoch 2 is trained
    assert {path.name: path.read_bytes() for path in earlier.iterdir()} == before  # only read
    assert sorted(path.name for path in own.iterdir()) == OUTPUTS


def test_a_single_process_trains_alone_without_a_process_group(tmp_path, monkeypatch, capsys):
    for name in ("RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORLD_SIZE", "1")  # as torchrun --nproc_per_node 1 sets it

    def no_process_group(*args, **kwargs):
        raise AssertionError("a single process joined a process group")

    monkeypatch.setattr(torch.distributed, "init_process_group", no_process_group)
    metrics = train.train(
        train.parse_args(["--synthetic", "200", "--epochs", "1", "--log-interval", "10", "--output-dir", str(tmp_path)])
    )
    assert not torch.distributed.is_initialized()
    assert (metrics["processes"], metrics["steps"], metrics["images"]) == (1, 50, 200)
    assert sorted(path.name for path in tmp_path.iterdir()) == OUTPUTS  # the checkpoint is gone once the run is done
    printed = capsys.readouterr().out
    assert "Resumed" not in printed and len(LOSS_LINE.findall(printed)) == 5


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_checkpoint_and_takes_the_same_steps(tmp_path):
    flags = ["--synthetic", "2000", "--epochs", "3", "--log-interval", "250", "--seed", "0", "--threads", "1"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    script = [sys.executable, str(SRC / "train.py"), *flags, "--output-dir"]
{%- if cookiecutter.sdk == "v1" %}
    with open(tmp_path / "whole.log", "w") as log:  # the uninterrupted run, alongside
        reference = subprocess.Popen(
            [*script, str(whole)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
{%- else %}
    own_store = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{(tmp_path / 'whole.db').as_posix()}"}
    with open(tmp_path / "whole.log", "w") as log:  # the uninterrupted run, alongside (not making the same new store)
        reference = subprocess.Popen(
            [*script, str(whole)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=own_store,
        )
{%- endif %}
    with open(tmp_path / "killed.log", "w") as log:
        victim = subprocess.Popen(
            [*script, str(killed)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + 120
        while not (killed / "checkpoint.pt").exists():
            assert victim.poll() is None, (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "no checkpoint after epoch 1 in time"
            time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=60) == -signal.SIGKILL
        assert not (killed / "model.pt").exists()  # killed before the run was done
        assert reference.wait(timeout=300) == 0, (tmp_path / "whole.log").read_text()
    finally:
        kill_left(victim, reference)

    result = run_script("src/train.py", *flags, "--output-dir", str(killed), "--resume", timeout=300)
    assert result.returncode == 0, result.stderr
    resumed_at = RESUMED.findall(result.stdout)
    assert len(resumed_at) == 1 and resumed_at[0][0] == str(killed / "checkpoint.pt")
    epoch, step = int(resumed_at[0][1]), int(resumed_at[0][2])
    assert epoch in (1, 2) and step == 500  # after epoch 1 (or 2, on a slow machine): 500 mini-batches of 4 each
    assert {int(e) for e, _, _ in LOSS_LINE.findall(result.stdout)} == set(range(epoch + 1, 4))  # only what was left
    metrics = json.loads((killed / "metrics.json").read_text())
    expected = json.loads((whole / "metrics.json").read_text())
    assert metrics["steps"] == expected["steps"] == 3 * 500
    assert metrics["losses"] == expected["losses"]
    assert sorted(path.name for path in killed.iterdir()) == OUTPUTS


def test_a_job_restarted_on_a_fresh_node_resumes_from_its_checkpoint_dir(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AZUREML_RUN_ID", "cifar_1700000000_0a1b2c3d")  # a job, which Azure ML may restart
    whole = train.train(train.parse_args(FLAGS + ["--output-dir", str(tmp_path / "whole")]))
    out, kept = tmp_path / "outputs", tmp_path / "checkpoints"  # ./outputs, and the job's datastore folder
    flags = stop_at_step_60(out, monkeypatch, kept)
    assert sorted(path.name for path in kept.iterdir()) == ["checkpoint.pt"] and not out.exists()
    capsys.readouterr()
    resumed = train.train(train.parse_args(flags))  # the restart, on a node whose ./outputs starts empty
    assert RESUMED.findall(capsys.readouterr().out) == [(str(kept / "checkpoint.pt"), "1", "60")]
    assert resumed["steps"] == whole["steps"] == 200 and resumed["losses"] == whole["losses"]
    assert sorted(path.name for path in out.iterdir()) == OUTPUTS
    assert list(kept.iterdir()) == []  # the run is complete: its checkpoint is gone


# Loaded into train.py's process by the test below: SIGKILL it, as a preempted node goes, right after optimizer step
# KILL_AT_STEP: no handler runs, nothing more is saved.
KILLER = '''
import os, signal

if os.environ.get("KILL_AT_STEP"):
    import torch

    taken, step = [0], torch.optim.SGD.step

    def step_then_die(self, *args, **kwargs):
        result = step(self, *args, **kwargs)
        taken[0] += 1
        if taken[0] == int(os.environ["KILL_AT_STEP"]):
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    torch.optim.SGD.step = step_then_die
'''


@pytest.mark.slow
def test_a_job_killed_mid_epoch_resumes_on_an_empty_node_from_its_checkpoint_dir_with_the_same_steps(tmp_path):
    hook = sitecustomize(tmp_path, KILLER)
    job = {
        **{name: value for name, value in os.environ.items() if name not in ("KILL_AT_STEP", "PYTHONPATH")},
        "AZUREML_RUN_ID": "cifar_1700000000_0a1b2c3d",  # Azure ML sets it in every job; train.py resumes by itself
        "PYTHONPATH": str(hook),
    }
    # 500 mini-batches of 4 per epoch, a checkpoint every 150 steps: the last before step 820 is at step 750
    flags = ["--synthetic", "2000", "--epochs", "3", "--log-interval", "200", "--seed", "0", "--threads", "1"]
    flags += ["--checkpoint-every", "150"]
    out, kept, whole = tmp_path / "outputs", tmp_path / "checkpoints", tmp_path / "whole"
    script = [sys.executable, str(SRC / "train.py"), *flags]

    def start(name, *more, **env):
        with open(tmp_path / f"{name}.log", "w") as log:  # each its own MLflow store (SDK v2), made by itself
            store = {"MLFLOW_TRACKING_URI": f"sqlite:///{(tmp_path / f'{name}.db').as_posix()}"}
            return subprocess.Popen(
                [*script, *more],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**job, **store, **env},
            )

    reference = start("whole", "--output-dir", str(whole))  # the uninterrupted job, alongside
    victim = start("killed", "--output-dir", str(out), "--checkpoint-dir", str(kept), KILL_AT_STEP="820")
    try:
        assert victim.wait(timeout=300) == -signal.SIGKILL, (tmp_path / "killed.log").read_text()
        assert reference.wait(timeout=300) == 0, (tmp_path / "whole.log").read_text()
    finally:
        kill_left(victim, reference)
    assert sorted(path.name for path in kept.iterdir()) == ["checkpoint.pt"]
    assert torch.load(kept / "checkpoint.pt", weights_only=True)["steps"] == 750
    shutil.rmtree(out, ignore_errors=True)  # the restart's node: ./outputs starts empty (Azure ML issue 1575)

    restarted = start("restarted", "--output-dir", str(out), "--checkpoint-dir", str(kept))  # the same flags
    assert restarted.wait(timeout=300) == 0, (tmp_path / "restarted.log").read_text()
    printed = (tmp_path / "restarted.log").read_text()
    assert RESUMED.findall(printed) == [(str(kept / "checkpoint.pt"), "2", "250")]  # mid-epoch 2
    assert [(int(e), int(b)) for e, b, _ in LOSS_LINE.findall(printed)] == [(2, 400), (3, 200), (3, 400)]
    metrics = json.loads((out / "metrics.json").read_text())
    expected = json.loads((whole / "metrics.json").read_text())
    assert metrics["steps"] == expected["steps"] == 3 * 500
    assert metrics["losses"] == expected["losses"]  # the same order, RNG, weights and partial sums: the same run
    assert sorted(path.name for path in out.iterdir()) == OUTPUTS and list(kept.iterdir()) == []
