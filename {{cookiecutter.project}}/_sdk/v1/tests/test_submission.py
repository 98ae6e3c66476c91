"""Submitting with azureml-core: the ScriptRunConfig each script sends, the dry run, and the link on GitHub."""

import json

from aml import arguments, sdk, settings, submission
from aml.lock_files import current_torch_release

import pytest
from script_helpers import (
    CLUSTER_COSTS,
    GPU_ON_2_NODES,
    READ_CLUSTER,
    add_snapshot_files,
    assert_costs_from_the_settings,
    assert_snapshot_listed,
    cost_block,
    dry_run,
    job_lock_lines,
    pip_entry,
    script,
    summary_after,
    summary_page,
)

CHOSEN = settings.load()
TORCH = current_torch_release()  # the lock's torch release
CHECKPOINTS = ["--checkpoint-dir", "DatasetOutputConfig:checkpoints"]  # Azure ML puts the mount's path here
COST_BLOCK = cost_block(CHOSEN)


@pytest.mark.slow
def test_dry_run_builds_the_submission_offline_and_lists_the_snapshot(project_copy, offline):
    add_snapshot_files(project_copy)
    out = dry_run("04-run-pytorch.py", project_copy, offline, "--", "--epochs", "3")
    assert "script:       train.py" in out and f"arguments:    {' '.join(CHECKPOINTS)} --epochs 3" in out
    assert out.splitlines()[1:8] == ["Dry run: nothing is submitted.", *COST_BLOCK]  # before what it submits
    assert "output:       checkpoints: mount (read-write) workspaceblobstore/checkpoints/{run-id} " in out
    assert f"compute:      {CHOSEN.compute_name}" in out and f"experiment:   {CHOSEN.experiment_name}" in out
    assert f"environment:  {settings.env_name()}" in out and "- conda-forge" in out and "azureml-core" in out
    assert "- --extra-index-url https://download.pytorch.org/whl/cpu" in out  # PyTorch's CPU wheels
    assert_snapshot_listed(out, project_copy)


@pytest.mark.slow
def test_dry_run_shows_distributed_settings(project_copy, offline):
    out = dry_run("04-run-pytorch.py", project_copy, offline, *GPU_ON_2_NODES, "--experiment", "scale-out")
    line = next(line for line in out.splitlines() if line.startswith("distributed:"))
    assert line.lower() == "distributed:  pytorch, 2 node(s), 4 process(es) in all, backend nccl"
    assert "compute:      gpu-cluster" in out and "experiment:   scale-out" in out
    assert f"arguments:    {' '.join(CHECKPOINTS)} --device cuda" in out
    assert all(f"- {line}" in out for line in job_lock_lines("cu126"))  # the lock of CUDA 12.6 torch


@pytest.mark.slow
def test_dry_run_with_the_datastore_shows_the_data_mount(project_copy, offline):
    out = dry_run("06-run-pytorch-data.py", project_copy, offline, "--", "--epochs", "3")
    assert f"arguments:    --data-path $AZUREML_DATAREFERENCE_cifar10 {' '.join(CHECKPOINTS)} --epochs 3" in out
    assert "output:       checkpoints: mount (read-write) workspaceblobstore/checkpoints/{run-id} " in out
    assert "data:         mount workspaceblobstore/datasets/cifar10" in out


class SubmittedRun:  # what Azure ML answers to a submission, which needs the network
    id = "day1_1700000000_abcd"

    def get_portal_url(self):
        return "https://ml.azure.com/runs/day1_1700000000_abcd"


class Experiment:
    def __init__(self, workspace, name):
        self.name = name

    def submit(self, config):
        print("submitted")
        return SubmittedRun()


def test_submission_in_github_actions_puts_the_studio_link_on_the_job_summary(monkeypatch, tmp_path, last_run):
    import azureml.core

    monkeypatch.setattr(azureml.core, "Experiment", Experiment)
    page = summary_page(tmp_path, monkeypatch)
    args = arguments.submission_arguments("test", [])
    submission.submit(None, args, connection=object())
    assert page.read_text() == summary_after("day1_1700000000_abcd", args.experiment)


def sent_run(config):
    """What Experiment.submit sends for a ScriptRunConfig: its run configuration as azureml-core serializes it, once
    azureml-core's submit() has turned the output configs in its arguments into placeholders and output data."""
    from azureml._execution._commands import _serialize_run_config_to_dict
    from azureml.core.script_run_config import _update_args_and_io, get_run_config_from_script_run

    run_config = get_run_config_from_script_run(config)
    _update_args_and_io(object(), run_config)  # the workspace serves only datasets given as inputs: none here
    return json.loads(json.dumps(_serialize_run_config_to_dict(run_config)))


def assert_checkpoint_mount(sent):
    """The run mounts a read-write folder of its own on the datastore, whose path train.py gets as --checkpoint-dir."""
    assert sent["arguments"][sent["arguments"].index("--checkpoint-dir") + 1] == "DatasetOutputConfig:checkpoints"
    output = sent["outputData"]["checkpoints"]
    assert output["outputLocation"]["dataPath"] == {
        "datastoreName": "workspaceblobstore",
        "relativePath": "checkpoints/{run-id}",  # azureml-core's placeholder for the run's id, kept by a restart
    }
    assert output["mechanism"] == "mount" and output["additionalOptions"]["uploadOptions"] is None


def sent_pip(sent):
    """The pip list of the environment in a serialized run configuration."""
    return pip_entry(sent["environment"]["python"]["condaDependencies"])["pip"]


def test_cpu_training_run_sends_train_py_and_pytorchs_cpu_wheels():
    args = arguments.submission_arguments("test", ["--", "--epochs", "3"])
    sent = sent_run(submission.training_job(args))
    assert (sent["script"], sent["arguments"]) == ("train.py", [*CHECKPOINTS, "--epochs", "3"])
    assert sent["target"] == CHOSEN.compute_name and sent["maxRunDurationSeconds"] == 2 * 3600
    assert_checkpoint_mount(sent)
    assert (sent["framework"], sent["nodeCount"], sent["pytorch"]["processCount"]) == ("Python", 1, None)
    assert sent["environment"]["name"] == settings.env_name()
    assert sent_pip(sent) == job_lock_lines("cpu") and f"torch=={TORCH}+cpu" in sent_pip(sent)
    assert sent["dataReferences"] == {} and sent["data"] == {}


def test_gpu_training_run_on_2_nodes_sends_cuda_torch_device_cuda_and_nccl():
    args = arguments.submission_arguments("test", [*GPU_ON_2_NODES, "--", "--epochs", "3"])
    sent = sent_run(submission.training_job(args))
    assert (sent["script"], sent["arguments"]) == ("train.py", [*CHECKPOINTS, "--device", "cuda", "--epochs", "3"])
    assert_checkpoint_mount(sent)
    assert (sent["target"], sent["framework"], sent["communicator"], sent["nodeCount"]) == (
        "gpu-cluster",
        "PyTorch",
        "nccl",
        2,
    )
    assert sent["pytorch"] == {"communicationBackend": "nccl", "processCount": 4, "nodeCount": 2}
    assert sent_pip(sent) == job_lock_lines("cu126")
    assert {f"torch=={TORCH}+cu126", "--extra-index-url https://download.pytorch.org/whl/cu126"} <= set(sent_pip(sent))
    chosen = arguments.submission_arguments("test", ["--gpu", "--", "--device=cpu"])
    assert sent_run(submission.training_job(chosen))["arguments"] == [*CHECKPOINTS, "--device=cpu"]


def test_data_run_sends_the_datastore_mount_as_the_data_path():
    args = arguments.submission_arguments("test", ["--", "--epochs", "3"])
    data = script("06-run-pytorch-data.py")["cifar10_mount"](None, 60)  # the datastore's usual name, offline
    sent = sent_run(submission.training_job(args, data=data))
    assert sent["script"] == "train.py"
    assert sent["arguments"] == ["--data-path", "$AZUREML_DATAREFERENCE_cifar10", *CHECKPOINTS, "--epochs", "3"]
    assert_checkpoint_mount(sent)
    reference = sent["dataReferences"]["cifar10"]
    assert (reference["dataStoreName"], reference["pathOnDataStore"], reference["mode"]) == (
        "workspaceblobstore",
        sdk.DATASTORE_PATH,
        "mount",
    )
    assert sent["target"] == CHOSEN.compute_name and sent_pip(sent) == job_lock_lines("cpu")


def test_hello_runs_in_the_cpu_training_environment():
    sent = sent_run(script("03-run-hello.py")["build_run_config"]("cpu-cluster"))
    assert (sent["script"], sent["arguments"], sent["target"]) == ("hello.py", [], "cpu-cluster")
    assert sent["maxRunDurationSeconds"] == 600 and sent["outputData"] == {}  # 10 minutes; no checkpoints
    assert sent["environment"]["name"] == settings.env_name()
    assert sent_pip(sent) == job_lock_lines("cpu")


@pytest.mark.parametrize("flags, seconds", [([], 7200), (["--max-hours", "0.5"], 1800), (["--max-hours", "12"], 43200)])
def test_every_training_run_has_a_time_limit_of_its_own(flags, seconds):
    args = arguments.submission_arguments("test", flags)
    assert sent_run(submission.training_job(args))["maxRunDurationSeconds"] == seconds
    hello = script("03-run-hello.py")["build_run_config"]("cpu-cluster", 1800)
    assert sent_run(hello)["maxRunDurationSeconds"] == 1800


def test_dry_run_says_what_it_costs_before_what_it_submits(capsys):
    args = arguments.submission_arguments("test", ["--dry-run", "--node-count", "2", "--max-hours", "0.25"])
    submission.submit(submission.training_job(args), args)
    printed = capsys.readouterr().out.splitlines()
    assert printed[:7] == ["Dry run: nothing is submitted.", *cost_block(CHOSEN, 2, "15 min (900 s, --max-hours)")]


def test_a_submission_says_what_the_cluster_itself_costs_before_submitting(monkeypatch, capsys, last_run):
    import azureml.core
    import azureml.core.compute
    from azureml.core.compute.amlcompute import ScaleSettings

    class Cluster:  # what ComputeTarget(ws, name) reads from the workspace, which needs the network
        def __init__(self, workspace, name):
            self.vm_size, self.vm_priority = "Standard_NC4as_T4_v3", "lowpriority"
            self.scale_settings = ScaleSettings(
                minimum_node_count=0, maximum_node_count=2, idle_seconds_before_scaledown=900
            )

    monkeypatch.setattr(azureml.core, "Experiment", Experiment)
    monkeypatch.setattr(azureml.core.compute, "ComputeTarget", Cluster)
    submission.submit(None, arguments.submission_arguments("test", READ_CLUSTER), connection=object())
    assert capsys.readouterr().out.splitlines()[:7] == [*CLUSTER_COSTS, "submitted"]


def test_a_submission_that_cannot_read_the_cluster_says_what_the_settings_plan(monkeypatch, capsys, last_run):
    import azureml.core

    monkeypatch.setattr(azureml.core, "Experiment", Experiment)
    args = arguments.submission_arguments("test", [])
    submission.submit(None, args, connection=object())  # not a workspace: ComputeTarget fails at once
    assert_costs_from_the_settings(capsys.readouterr().out.splitlines(), CHOSEN)


def test_gpu_alone_sends_the_run_to_the_gpu_cluster_and_compute_overrides_it():
    def target(*flags):
        return sent_run(submission.training_job(arguments.submission_arguments("test", list(flags))))["target"]

    assert target("--gpu") == settings.GPU_COMPUTE_NAME  # the cluster 02-create-compute.py --gpu makes
    assert target("--gpu", "--compute", "my-gpus") == "my-gpus"
    assert target() == CHOSEN.compute_name


def test_resume_from_an_earlier_run_downloads_its_checkpoint_folder_and_keeps_its_own():
    args = arguments.submission_arguments("test", ["--resume-from", "day1_1765000000_0a1b2c3d"])
    sent = sent_run(submission.training_job(args))
    assert_checkpoint_mount(sent)  # the new checkpoints: the new run's own folder
    given = sent["arguments"][sent["arguments"].index("--resume-from") + 1]
    assert given == "$AZUREML_DATAREFERENCE_resume_from"
    earlier = sent["dataReferences"]["resume_from"]
    assert (earlier["dataStoreName"], earlier["pathOnDataStore"], earlier["mode"]) == (
        "workspaceblobstore",
        "checkpoints/day1_1765000000_0a1b2c3d",
        "download",  # a copy on the node: the earlier run's folder is only read
    )
