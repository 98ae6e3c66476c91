"""07-download-model.py with azureml-core: the run it takes, its files in outputs/<run id>/, the model it registers,
one clear line for each thing that can be missing; Azure's side stands in where azureml-core would ask it.
tests/test_downloads.py has what 07 does alike with either SDK."""

import json
from pathlib import Path
from types import SimpleNamespace

from aml import downloads, settings

import pytest
from script_helpers import download_model

CHOSEN = settings.load()
EXPERIMENT = CHOSEN.experiment_name
LATEST = f"{EXPERIMENT}_1700000200_b2c3d4e5"  # the latest completed run of the experiment
OLDER = f"{EXPERIMENT}_1700000100_a1b2c3d4"
FAILED = f"{EXPERIMENT}_1700000300_c3d4e5f6"  # newer, but failed: no model
NO_MODEL = "only-logs_1700000000_0a0b0c0d"  # completed, yet without outputs/model.pt
HELLO = f"{CHOSEN.hello_experiment_name}_1700000400_e5f6a7b8"  # the newest completed run, but 03's: not training
LOG = "user_logs/std_log.txt"
SAVED = "a run saves outputs/model.pt only when it completes"


def artifacts(accuracy):
    """A completed training run's files, as its artifacts hold them: outputs/ (train.py's) and its log."""
    metrics = {"accuracy": accuracy, "test_images": 10000, "losses": [2.3, 1.9]}
    return {
        downloads.MODEL_FILE: f"state_dict {accuracy}".encode(),
        "outputs/metrics.json": json.dumps(metrics).encode(),
        "outputs/loss.png": b"\x89PNG",
        LOG: b"Finished Training\n",
    }


class Run:
    """A run as azureml-core's Run gives it: id, status, its artifacts (the run's storage), registration."""

    def __init__(self, run_id, status, files):
        self.id, self.status, self.files, self.registered = run_id, status, files, []

    def get_file_names(self):
        return list(self.files)

    def download_file(self, name, output_file_path=None, _validate_checksum=False):
        Path(output_file_path).write_bytes(self.files[name])

    def register_model(self, model_name, model_path=None, tags=None, description=None, **kwargs):
        from azureml._model_management._util import model_name_validation
        from azureml.core import Model

        model_name_validation(model_name)  # as the SDK checks first, offline
        assert model_path in self.files  # the SDK's look-up of the path among the run's artifacts
        sent = {"model_name": model_name, "model_path": model_path, "tags": json.loads(json.dumps(tags))}
        self.registered.append({**sent, "description": description})  # tags as the SDK sends them: JSON
        model = Model(None)  # the SDK's Model, as it reads the service's answer
        model.name, model.version, model.tags = model_name, 3, tags
        return model


@pytest.fixture
def workspace(monkeypatch, tmp_path, reached_workspace):
    """A reached workspace: its experiments' runs, newest first (Run.list's order), Run.get finding any run; the
    downloads go into tmp_path/outputs (printed as outputs/...)."""
    from azureml._restclient.exceptions import ServiceException
    from azureml.core import Experiment
    from azureml.core import Run as SdkRun

    runs = {
        EXPERIMENT: [
            Run(FAILED, "Failed", {LOG: b"Traceback"}),
            Run(LATEST, "Completed", artifacts(0.5412)),
            Run(OLDER, "Completed", artifacts(0.3120)),
        ],
        "only-logs": [Run(NO_MODEL, "Completed", {LOG: b"done"})],
        "only-failed": [Run(f"only-failed_1700000000_{'f' * 8}", "Failed", {})],
        CHOSEN.hello_experiment_name: [Run(HELLO, "Completed", {LOG: b"Hello world!"})],
    }
    everyone = {run.id: run for listed in runs.values() for run in listed}

    def get(ws, run_id):
        if run_id not in everyone:
            answer = SimpleNamespace(  # the service's 404, as azureml-core wraps it
                message=f"Run {run_id} was not found",
                response=SimpleNamespace(status_code=404, headers={}),
                error=SimpleNamespace(error=SimpleNamespace(details=[])),
            )
            raise ServiceException(answer)
        return everyone[run_id]

    def listed(ws, experiment_name=None, **kwargs):
        return [SimpleNamespace(name=experiment_name)] if experiment_name in runs else []

    def run_list(experiment, status=None, **kwargs):
        return (run for run in runs[experiment.name] if status is None or run.status == status)  # filtered there

    monkeypatch.setattr(SdkRun, "get", staticmethod(get))
    monkeypatch.setattr(SdkRun, "list", staticmethod(run_list))
    monkeypatch.setattr(Experiment, "list", staticmethod(listed))
    monkeypatch.setattr(downloads, "ROOT", tmp_path)
    monkeypatch.setattr(downloads, "OUTPUTS_DIR", tmp_path / "outputs")
    return SimpleNamespace(
        runs=everyone, reached=reached_workspace.reached, outputs=tmp_path / "outputs", config=reached_workspace.config
    )


def test_the_latest_completed_run_is_brought_home_and_registered_with_its_accuracy_and_id(workspace, capsys):
    download_model()
    assert workspace.reached == [(workspace.config, "ServicePrincipalAuthentication")]  # the project's login
    assert [path.name for path in workspace.outputs.iterdir()] == [LATEST]  # no temporary folder left
    folder = workspace.outputs / LATEST
    files = artifacts(0.5412)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == {
        Path(name).name: files[name] for name in downloads.FILES
    }
    assert workspace.runs[LATEST].registered == [
        {
            "model_name": "cifar10-net",
            "model_path": "outputs/model.pt",
            "tags": {"accuracy": "0.5412", "run_id": LATEST},
            "description": downloads.description(LATEST),
        }
    ]
    assert capsys.readouterr().out.splitlines()[-3:] == [
        f"Downloaded model.pt, metrics.json, loss.png of run {LATEST} into outputs/{LATEST}/",
        f"Registered model cifar10-net:3 (test accuracy 54.1%, run {LATEST})",
        f"Next, classify images with it: python src/predict.py --model outputs/{LATEST}/model.pt IMAGE...",
    ]


def test_a_run_named_by_id_is_taken_and_an_earlier_download_of_it_is_kept(workspace, capsys):
    earlier = workspace.outputs / OLDER
    earlier.mkdir(parents=True)
    (earlier / "notes.txt").write_text("mine")
    download_model("--run-id", OLDER, "--model-name", "cifar10-baseline")
    kept = [path for path in workspace.outputs.iterdir() if path.name.startswith(f"{OLDER}.earlier-")]
    assert len(kept) == 1 and (kept[0] / "notes.txt").read_text() == "mine"
    assert sorted(path.name for path in earlier.iterdir()) == ["loss.png", "metrics.json", "model.pt"]
    assert (earlier / "model.pt").read_bytes() == b"state_dict 0.312"
    registered = workspace.runs[OLDER].registered[0]
    assert (registered["model_name"], registered["tags"]) == (
        "cifar10-baseline",
        {"accuracy": "0.3120", "run_id": OLDER},
    )
    assert f"The earlier download of that run is now outputs/{kept[0].name}/" in capsys.readouterr().out


def broken_download(workspace):
    """The latest run's download stops after model.pt, as a dropped connection would."""
    run = workspace.runs[LATEST]
    real = run.download_file

    def download_file(name, output_file_path=None, _validate_checksum=False):
        if name != downloads.MODEL_FILE:
            raise ConnectionError("Connection aborted.")
        real(name, output_file_path)

    run.download_file = download_file


@pytest.mark.parametrize(
    "flags, problem, fix",
    [
        (["--experiment", "only-failed"], "no completed run in experiment only-failed", "python 04-run-pytorch.py"),
        (["--experiment", "never-made"], "no completed run in experiment never-made", "--run-id RUN_ID"),
        (["--run-id", "nosuchrun_1"], "finding run nosuchrun_1 failed: Run nosuchrun_1 was not found", "run id"),
        (["--run-id", FAILED], f"run {FAILED} is Failed, not Completed: {SAVED}", "--run-id RUN_ID"),
        (["--run-id", NO_MODEL], f"run {NO_MODEL} has no outputs/model.pt", "--run-id RUN_ID"),
        ([], f"downloading the outputs of run {LATEST} failed: Connection aborted.", "run again"),
    ],
    ids=["no-completed-run", "no-such-experiment", "unknown-run", "failed-run", "no-model", "broken-download"],
)
def test_each_missing_thing_stops_with_one_line_and_its_fix_leaving_no_folder(workspace, flags, problem, fix):
    if not flags:
        broken_download(workspace)
    with pytest.raises(SystemExit) as stop:
        download_model(*flags)
    first, second = str(stop.value).splitlines()
    assert first == f"error: {problem}" and second.startswith("fix: ") and fix in second
    assert not workspace.outputs.exists()  # nothing half-written, and no empty outputs/ made
    assert not any(run.registered for run in workspace.runs.values())


def test_dry_run_registers_the_model_where_it_is_among_the_runs_files(capsys):
    """The dry run's register: line; tests/test_downloads.py checks its other lines."""
    download_model("--dry-run")
    assert (
        "register:     model cifar10-net, a new version, from outputs/model.pt of run <run id>, where it is "
        "(nothing is uploaded)"
    ) in capsys.readouterr().out.splitlines()
    download_model("--dry-run", "--run-id", OLDER, "--model-name", "mine")
    out = capsys.readouterr().out
    assert f"register:     model mine, a new version, from outputs/model.pt of run {OLDER}," in out
