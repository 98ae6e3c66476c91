"""Submitting with azureml-core: the ScriptRunConfig each script sends, the dry run, and the link on GitHub."""

import json

from aml import arguments, sdk, settings, submission

import pytest
from conftest import run_script
from script_helpers import pip_entry, script, torch_lines

CHOSEN = settings.load()


@pytest.mark.slow
def test_dry_run_builds_the_submission_offline_and_lists_the_snapshot(project_copy, offline):
    env, network_log = offline
    (project_copy / "src" / "data").mkdir()
    (project_copy / "src" / "data" / "big.bin").write_bytes(b"\0" * 4096)
    (project_copy / "src" / "notes.txt").write_text("kept")
    result = run_script("04-run-pytorch.py", "--dry-run", "--", "--epochs", "3", cwd=project_copy, env=env)
    assert result.returncode == 0, result.stderr
    assert not network_log.exists(), network_log.read_text()
    out = result.stdout
    assert "script:       train.py" in out and "arguments:    --epochs 3" in out
    assert f"compute:      {CHOSEN.compute_name}" in out and f"experiment:   {CHOSEN.experiment_name}" in out
    assert f"environment:  {settings.env_name()}" in out and "- conda-forge" in out and "azureml-core" in out
    assert "- --extra-index-url https://download.pytorch.org/whl/cpu" in out  # PyTorch's CPU wheels
    listed = [line.split()[-1] for line in out.split("snapshot:")[1].splitlines()[1:]]
    assert "notes.txt" in listed and "big.bin" not in " ".join(listed)  # src/.amlignore leaves out data/
    assert sorted(listed) == sorted(path.name for path in (project_copy / "src").iterdir() if path.is_file())


@pytest.mark.slow
def test_dry_run_shows_distributed_settings(project_copy, offline):
    env, network_log = offline
    result = run_script(
        "04-run-pytorch.py",
        "--dry-run",
        "--node-count",
        "2",
        "--process-count-per-node",
        "2",
        "--compute",
        "gpu-cluster",
        "--experiment",
        "scale-out",
        "--gpu",
        cwd=project_copy,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("distributed:"))
    assert line.lower() == "distributed:  pytorch, 2 node(s), 4 process(es) in all, backend nccl"
    assert "compute:      gpu-cluster" in result.stdout and "experiment:   scale-out" in result.stdout
    assert "arguments:    --device cuda" in result.stdout
    assert all(f"- {line}" in result.stdout for line in torch_lines("torch-gpu.txt"))  # CUDA 12 torch, pinned
    assert not network_log.exists()


@pytest.mark.slow
def test_dry_run_with_the_datastore_shows_the_data_mount(project_copy, offline):
    env, network_log = offline
    result = run_script("06-run-pytorch-data.py", "--dry-run", "--", "--epochs", "3", cwd=project_copy, env=env)
    assert result.returncode == 0, result.stderr
    assert "arguments:    --data-path $AZUREML_DATAREFERENCE_cifar10 --epochs 3" in result.stdout
    assert "data:         mount workspaceblobstore/datasets/cifar10" in result.stdout
    assert not network_log.exists()


def test_submission_in_github_actions_puts_the_studio_link_on_the_job_summary(monkeypatch, tmp_path):
    import azureml.core

    class SubmittedRun:  # what Azure ML answers to a submission, which needs the network
        id = "day1_1700000000_abcd"

        def get_portal_url(self):
            return "https://ml.azure.com/runs/day1_1700000000_abcd"

    class Experiment:
        def __init__(self, workspace, name):
            self.name = name

        def submit(self, config):
            return SubmittedRun()

    monkeypatch.setattr(azureml.core, "Experiment", Experiment)
    page = tmp_path / "summary.md"
    page.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(page))
    args = arguments.submission_arguments("test", [])
    submission.submit(None, args, connection=object())
    assert page.read_text() == (
        "# earlier step\nTraining run day1_1700000000_abcd submitted to experiment "
        + args.experiment
        + ": [open it in Azure ML Studio](https://ml.azure.com/runs/day1_1700000000_abcd)\n"
    )


def sent_run(config):
    """What Experiment.submit sends for a ScriptRunConfig: its run configuration as azureml-core serializes it."""
    from azureml._execution._commands import _serialize_run_config_to_dict
    from azureml.core.script_run_config import get_run_config_from_script_run

    return json.loads(json.dumps(_serialize_run_config_to_dict(get_run_config_from_script_run(config))))


def sent_pip(sent):
    """The pip list of the environment in a serialized run configuration."""
    return pip_entry(sent["environment"]["python"]["condaDependencies"])["pip"]


def file_pip():
    """The pip list of .azureml/pytorch-env.yml, as azureml-core reads it."""
    from azureml.core.conda_dependencies import CondaDependencies

    return list(CondaDependencies(conda_dependencies_file_path=str(settings.ENV_FILE)).pip_packages)


def test_cpu_training_run_sends_train_py_and_pytorchs_cpu_wheels():
    args = arguments.submission_arguments("test", ["--", "--epochs", "3"])
    sent = sent_run(submission.training_job(args))
    assert (sent["script"], sent["arguments"]) == ("train.py", ["--epochs", "3"])
    assert sent["target"] == CHOSEN.compute_name
    assert (sent["framework"], sent["nodeCount"], sent["pytorch"]["processCount"]) == ("Python", 1, None)
    assert sent["environment"]["name"] == settings.env_name()
    assert sent_pip(sent) == file_pip() + torch_lines("torch-cpu.txt")
    assert sent["dataReferences"] == {} and sent["data"] == {}


def test_gpu_training_run_on_2_nodes_sends_cuda_torch_device_cuda_and_nccl():
    flags = ["--gpu", "--node-count", "2", "--process-count-per-node", "2", "--compute", "gpu-cluster"]
    args = arguments.submission_arguments("test", [*flags, "--", "--epochs", "3"])
    sent = sent_run(submission.training_job(args))
    assert (sent["script"], sent["arguments"]) == ("train.py", ["--device", "cuda", "--epochs", "3"])
    assert (sent["target"], sent["framework"], sent["communicator"], sent["nodeCount"]) == (
        "gpu-cluster",
        "PyTorch",
        "nccl",
        2,
    )
    assert sent["pytorch"] == {"communicationBackend": "nccl", "processCount": 4, "nodeCount": 2}
    pinned = [spec for spec in file_pip() if not spec.startswith(("torch>", "torch=", "torchvision"))]
    assert sent_pip(sent) == pinned + torch_lines("torch-gpu.txt")
    assert {"torch==2.9.1+cu126", "--extra-index-url https://download.pytorch.org/whl/cu126"} <= set(sent_pip(sent))
    chosen = arguments.submission_arguments("test", ["--gpu", "--", "--device=cpu"])
    assert sent_run(submission.training_job(chosen))["arguments"] == ["--device=cpu"]


def test_data_run_sends_the_datastore_mount_as_the_data_path():
    args = arguments.submission_arguments("test", ["--", "--epochs", "3"])
    data = script("06-run-pytorch-data.py")["cifar10_mount"](None, 60)  # the datastore's usual name, offline
    sent = sent_run(submission.training_job(args, data=data))
    assert sent["script"] == "train.py"
    assert sent["arguments"] == ["--data-path", "$AZUREML_DATAREFERENCE_cifar10", "--epochs", "3"]
    reference = sent["dataReferences"]["cifar10"]
    assert (reference["dataStoreName"], reference["pathOnDataStore"], reference["mode"]) == (
        "workspaceblobstore",
        sdk.DATASTORE_PATH,
        "mount",
    )
    assert sent["target"] == CHOSEN.compute_name and sent_pip(sent) == file_pip() + torch_lines("torch-cpu.txt")


def test_hello_runs_in_the_cpu_training_environment():
    sent = sent_run(script("03-run-hello.py")["build_run_config"]("cpu-cluster"))
    assert (sent["script"], sent["arguments"], sent["target"]) == ("hello.py", [], "cpu-cluster")
    assert sent["environment"]["name"] == settings.env_name()
    assert sent_pip(sent) == file_pip() + torch_lines("torch-cpu.txt")
