"""07-download-model.py with azure-ai-ml: the job it takes, its files in outputs/<run id>/, the model it registers,
one clear line for each thing that can be missing; Azure's answers given where the SDK would receive them (its
REST operations for jobs), or at the SDK method that asks Azure (downloading, registering). tests/test_downloads.py
has what 07 does alike with either SDK."""

import json
from pathlib import Path

from aml import downloads, login, preflight, settings

import pytest
from azure_answers import CONFIG
from script_helpers import SUBSCRIPTION, download_model

CHOSEN = settings.load()
EXPERIMENT = CHOSEN.experiment_name
LATEST = "brave_lamp_b2c3d4e5"  # the latest completed training job of the experiment
OLDER = "calm_river_a1b2c3d4"
FAILED = "eager_fox_c3d4e5f6"  # newer, but failed: no model
NO_MODEL = "quiet_owl_0a0b0c0d"  # completed, yet without outputs/model.pt
HELLO = "happy_sun_e5f6a7b8"  # the newest completed job, but 03's, in the hello-world experiment
SAVED = "a run saves outputs/model.pt only when it completes"
WORKSPACE = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1"
)


class Credential:
    """A login that never asks Azure (nothing here reaches the network)."""

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken("token", 4102444800)


def rest_job(name, experiment, status, created):
    """A command job as Azure ML's REST API describes it (GET .../jobs/{name}), read by the SDK's own model."""
    from azure.ai.ml._restclient.arm_ml_service.models import JobBase

    return JobBase(
        {
            "id": f"{WORKSPACE}/jobs/{name}",
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces/jobs",
            "systemData": {"createdAt": created, "createdBy": "me", "createdByType": "User"},
            "properties": {
                "jobType": "Command",
                "status": status,
                "experimentName": experiment,
                "displayName": "train",
                "command": "python train.py",
                "environmentId": f"{WORKSPACE}/environments/CliV2AnonymousEnvironment/versions/1",
                "computeId": f"{WORKSPACE}/computes/{CHOSEN.compute_name}",
            },
        }
    )


def artifacts(accuracy):
    """A completed training job's default artifacts: outputs/ (train.py's) and its log."""
    metrics = {"accuracy": accuracy, "test_images": 10000, "losses": [2.3, 1.9]}
    return {
        downloads.MODEL_FILE: f"state_dict {accuracy}".encode(),
        "outputs/metrics.json": json.dumps(metrics).encode(),
        "outputs/loss.png": b"\x89PNG",
        "user_logs/std_log.txt": b"Finished Training\n",
    }


@pytest.fixture
def workspace(monkeypatch, tmp_path):
    """An MLClient for workspace ws1 whose jobs (in no particular order) come from its REST operations, whose
    jobs.download writes a job's artifacts as the SDK does (download_path/artifacts/...), and whose
    models.create_or_update records the REST body it would send; downloads go into tmp_path/outputs."""
    from azure.ai.ml import MLClient
    from azure.ai.ml._artifacts._artifact_utilities import _check_and_upload_path
    from azure.ai.ml.entities import Model
    from azure.core.exceptions import ResourceNotFoundError

    jobs = {  # name: (experiment, status, created, artifacts)
        OLDER: (EXPERIMENT, "Completed", "2026-01-01T10:00:00Z", artifacts(0.3120)),
        HELLO: (CHOSEN.hello_experiment_name, "Completed", "2026-01-05T10:00:00Z", {}),
        FAILED: (EXPERIMENT, "Failed", "2026-01-03T10:00:00Z", {}),
        LATEST: (EXPERIMENT, "Completed", "2026-01-02T10:00:00Z", artifacts(0.5412)),
        NO_MODEL: ("only-logs", "Completed", "2026-01-01T09:00:00Z", {"user_logs/std_log.txt": b"done"}),
        "slow_bee_0": ("only-failed", "Failed", "2026-01-01T08:00:00Z", {}),
    }
    client = MLClient(Credential(), SUBSCRIPTION, "rg", "ws1")
    client.sent = []

    def get(id, resource_group_name, workspace_name, **kwargs):
        if id not in jobs:
            raise ResourceNotFoundError(
                f"(UserError) Job {id} not found.\nCode: UserError\nMessage: Job {id} not found."
            )
        return rest_job(id, *jobs[id][:3])

    def listed(resource_group_name, workspace_name, cls=None, **kwargs):
        return cls([rest_job(name, *job[:3]) for name, job in jobs.items()])  # the SDK's cls makes its entities

    def download(name, download_path=".", **kwargs):
        for path, content in jobs[name][3].items():
            target = Path(download_path, "artifacts", path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)

    def create_or_update(model):
        model, _ = _check_and_upload_path(artifact=model, asset_operations=None, artifact_type="Model")  # no upload
        client.sent.append(model._to_rest_object().as_dict())
        return Model(name=model.name, version="4", path=model.path, tags=model.tags)

    rest = client.jobs.service_client_01_2024_preview_arm.jobs
    monkeypatch.setattr(rest, "get", get)
    monkeypatch.setattr(rest, "list", listed)
    monkeypatch.setattr(client.jobs, "download", download)
    monkeypatch.setattr(client.models, "create_or_update", create_or_update)
    monkeypatch.setattr(preflight, "read_config", lambda: CONFIG)
    client.reached = []
    monkeypatch.setattr(login, "connect", lambda config, timeout: client.reached.append((config, timeout)) or client)
    monkeypatch.setattr(downloads, "ROOT", tmp_path)
    monkeypatch.setattr(downloads, "OUTPUTS_DIR", tmp_path / "outputs")
    client.outputs = tmp_path / "outputs"
    return client


def sent_model(name, job, tags):
    """The REST body of a model registered from job's outputs/model.pt."""
    return {
        "properties": {
            "description": downloads.description(job),
            "tags": tags,
            "properties": {},
            "modelType": "custom_model",
            "modelUri": f"azureml://jobs/{job}/outputs/artifacts/paths/outputs/model.pt",
            "isAnonymous": False,
            "isArchived": False,
        }
    }


def test_the_latest_completed_job_is_brought_home_and_registered_with_its_accuracy_and_name(workspace, capsys):
    download_model()
    assert workspace.reached == [(CONFIG, settings.TIMEOUT_S)]
    assert [path.name for path in workspace.outputs.iterdir()] == [LATEST]  # no temporary folder, no logs left
    files = artifacts(0.5412)
    assert {path.name: path.read_bytes() for path in (workspace.outputs / LATEST).iterdir()} == {
        Path(name).name: files[name] for name in downloads.FILES
    }
    assert workspace.sent == [sent_model("cifar10-net", LATEST, {"accuracy": "0.5412", "run_id": LATEST})]
    assert capsys.readouterr().out.splitlines()[-3:] == [
        f"Downloaded model.pt, metrics.json, loss.png of run {LATEST} into outputs/{LATEST}/",
        f"Registered model cifar10-net:4 (test accuracy 54.1%, run {LATEST})",
        f"Next, classify images with it: python src/predict.py --model outputs/{LATEST}/model.pt IMAGE...",
    ]


def test_a_job_named_by_its_name_is_taken_and_an_earlier_download_of_it_is_kept(workspace, capsys):
    earlier = workspace.outputs / OLDER
    earlier.mkdir(parents=True)
    (earlier / "notes.txt").write_text("mine")
    download_model("--run-id", OLDER, "--model-name", "cifar10-baseline")
    kept = [path for path in workspace.outputs.iterdir() if path.name.startswith(f"{OLDER}.earlier-")]
    assert len(kept) == 1 and (kept[0] / "notes.txt").read_text() == "mine"
    assert sorted(path.name for path in earlier.iterdir()) == ["loss.png", "metrics.json", "model.pt"]
    assert (earlier / "model.pt").read_bytes() == b"state_dict 0.312"
    tags = {"accuracy": "0.3120", "run_id": OLDER}
    assert workspace.sent == [sent_model("cifar10-baseline", OLDER, tags)]
    assert f"The earlier download of that run is now outputs/{kept[0].name}/" in capsys.readouterr().out


def broken_download(workspace, monkeypatch):
    """The latest job's download stops after model.pt, as a dropped connection would."""

    def download(name, download_path=".", **kwargs):
        target = Path(download_path, "artifacts", downloads.MODEL_FILE)
        target.parent.mkdir(parents=True)
        target.write_bytes(b"half")
        raise ConnectionError("Connection aborted.")

    monkeypatch.setattr(workspace.jobs, "download", download)


@pytest.mark.parametrize(
    "flags, problem, fix",
    [
        (["--experiment", "only-failed"], "no completed run in experiment only-failed", "python 04-run-pytorch.py"),
        (["--experiment", "never-made"], "no completed run in experiment never-made", "--run-id RUN_ID"),
        (["--run-id", "nosuchjob_1"], "finding job nosuchjob_1 failed: Job nosuchjob_1 not found.", "job's name"),
        (["--run-id", FAILED], f"run {FAILED} is Failed, not Completed: {SAVED}", "--run-id RUN_ID"),
        (["--run-id", NO_MODEL], f"run {NO_MODEL} has no outputs/model.pt", "--run-id RUN_ID"),
        ([], f"downloading the outputs of job {LATEST} failed: Connection aborted.", "run again"),
    ],
    ids=["no-completed-job", "no-such-experiment", "unknown-job", "failed-job", "no-model", "broken-download"],
)
def test_each_missing_thing_stops_with_one_line_and_its_fix_leaving_no_folder(
    workspace, monkeypatch, flags, problem, fix
):
    if not flags:
        broken_download(workspace, monkeypatch)
    with pytest.raises(SystemExit) as stop:
        download_model(*flags)
    first, second = str(stop.value).splitlines()
    assert first == f"error: {problem}" and second.startswith("fix: ") and fix in second
    assert not workspace.outputs.exists()  # nothing half-written, and no empty outputs/ made
    assert workspace.sent == []


def test_dry_run_registers_the_model_where_it_is_among_the_jobs_artifacts(capsys):
    """The dry run's register: line; tests/test_downloads.py checks its other lines."""
    download_model("--dry-run")
    assert (
        "register:     model cifar10-net, a new version, from "
        "azureml://jobs/<run id>/outputs/artifacts/paths/outputs/model.pt"
    ) in capsys.readouterr().out.splitlines()
    download_model("--dry-run", "--run-id", OLDER, "--model-name", "mine")
    out = capsys.readouterr().out
    assert f"model mine, a new version, from azureml://jobs/{OLDER}/outputs/artifacts/paths/outputs/model.pt" in out
