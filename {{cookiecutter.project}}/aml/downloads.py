"""A training run's model brought home by 07-download-model.py: outputs/<run id>/, its tags, and what 07 says."""

import json
import shutil
import tempfile
import time
from pathlib import Path

from aml.messages import fail
from aml.settings import ROOT

MODEL_NAME = "cifar10-net"  # the workspace model 07 registers (--model-name)
MODEL_FILE = "outputs/model.pt"  # where train.py leaves the model in a run (Azure ML keeps a run's outputs/)
FILES = (MODEL_FILE, "outputs/metrics.json", "outputs/loss.png")  # brought home when the run has them
OUTPUTS_DIR = ROOT / "outputs"  # a run's files go into outputs/<run id>/ here
DOWNLOAD_TIMEOUT_S = 600  # for downloading a run's files
COMPLETED = "Completed"  # the status of a run that ended well, in either SDK
RUN_ID = "<run id>"  # the dry run's stand-in for the id of the run it would take
AGAIN = "name a run that has one: python 07-download-model.py --run-id RUN_ID (Azure ML Studio, Jobs: its name)"


def which_run(run_id, experiment):
    """The run 07 takes, in words: the one given, or the latest completed run of the experiment."""
    return f"run {run_id}" if run_id else f"the latest completed run of experiment {experiment}"


def check_completed(run_id, status):
    """Stop unless the run has completed: train.py saves the model only at the end of a run."""
    status = getattr(status, "value", status)  # SDK v2's status is an enum
    if status != COMPLETED:
        fail(
            f"run {run_id} is {status}, not {COMPLETED}: a run saves {MODEL_FILE} only when it completes",
            f"wait for it to complete, or {AGAIN}",
        )


def no_completed_run(experiment):
    """Stop: the experiment has no completed training run (or does not exist)."""
    fail(
        f"no completed run in experiment {experiment}",
        "train one first: python 04-run-pytorch.py --wait (or pass --experiment NAME, or --run-id RUN_ID)",
    )


def bring_home(run_id, fetch):
    """Fill outputs/<run id>/ with the run's files that fetch(folder) puts into folder (by their names), through a
    temporary folder renamed at the end: nothing half-written stays, and an earlier outputs/<run id>/ is kept,
    renamed. Returns the folder and the earlier one's new path (None when there was none)."""
    made = not OUTPUTS_DIR.exists()
    OUTPUTS_DIR.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{run_id}-", dir=OUTPUTS_DIR))  # beside it: a rename, not a copy
    try:
        fetch(temporary)
        if not (temporary / Path(MODEL_FILE).name).is_file():
            fail(f"run {run_id} has no {MODEL_FILE}", f"train.py saves it when a run completes; {AGAIN}")
        target = OUTPUTS_DIR / run_id
        earlier = keep_earlier(target)
        temporary.rename(target)
    except BaseException:  # a failure, a time-out or Ctrl+C: nothing of this download stays
        shutil.rmtree(temporary, ignore_errors=True)
        if made and not any(OUTPUTS_DIR.iterdir()):
            OUTPUTS_DIR.rmdir()
        raise
    return target, earlier


def keep_earlier(folder):
    """Move an existing folder aside to <name>.earlier-<date-time>; return its new path, or None."""
    if not folder.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = folder.with_name(f"{folder.name}.earlier-{stamp}")
    number = 1
    while kept.exists():
        number += 1
        kept = folder.with_name(f"{folder.name}.earlier-{stamp}-{number}")
    folder.rename(kept)
    return kept


def tags(run_id, folder):
    """The model's tags, as text (as both SDKs send them): its test accuracy from metrics.json (when the run has
    one), and the run's id."""
    found = {}
    try:
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        found["accuracy"] = f"{float(metrics['accuracy']):.4f}"
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no metrics.json, or one without an accuracy: the model is registered all the same
    return {**found, "run_id": run_id}


def description(run_id):
    """The registered model's description."""
    return f"The tutorial's CIFAR-10 network (src/model.py's Net, a state_dict) trained by run {run_id}"


def shown(path):
    """A path as typed in the project's folder: relative to it when inside it, else absolute."""
    path = Path(path)
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def next_command(folder):
    """The command that classifies images with the downloaded model."""
    return f"python src/predict.py --model {shown(Path(folder) / Path(MODEL_FILE).name)} IMAGE..."


def describe(args, registered_path):
    """Print what 07 would do, offline: the run it would take, where its files would go, what it would register."""
    folder = OUTPUTS_DIR / (args.run_id or RUN_ID)
    others = " and ".join(FILES[1:])
    print("Dry run: nothing is downloaded or registered (no login, no network).")
    print(f"run:          {which_run(args.run_id, args.experiment)}")
    print(f"download:     {MODEL_FILE}, and {others} when the run has them")
    print(f"into:         {shown(folder)}/ (through a temporary folder; an earlier one is kept, renamed)")
    print(f"register:     model {args.model_name}, a new version, from {registered_path}")
    print(f"tags:         accuracy (from the run's metrics.json), run_id {args.run_id or RUN_ID}")
    print(f"then:         {next_command(folder)}")


def done(run_id, folder, earlier, name, version, tags):
    """Print where the files went, the model registered (name:version) and the next command."""
    files = ", ".join(name for name in (Path(file).name for file in FILES) if (folder / name).is_file())
    print(f"Downloaded {files} of run {run_id} into {shown(folder)}/")
    if earlier is not None:
        print(f"The earlier download of that run is now {shown(earlier)}/")
    accuracy = f"test accuracy {100 * float(tags['accuracy']):.1f}%, " if "accuracy" in tags else ""
    print(f"Registered model {name}:{version} ({accuracy}run {run_id})")
    print(f"Next, classify images with it: {next_command(folder)}")
