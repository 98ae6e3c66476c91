"""Submitting with azure-ai-ml: the command job each script sends, the dry run, job.yml, and the link on GitHub."""

from pathlib import Path

from aml import arguments, sdk, settings, submission
from aml.lock_files import current_torch_release

import pytest
import yaml
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
CHECKPOINTS = "--checkpoint-dir ${{outputs.checkpoints}}"  # Azure ML puts the mounted output's path here
COST_BLOCK = cost_block(CHOSEN)
# The job's checkpoint folder on the datastore, as the job YAML and the REST body say it (${{name}}: the job's name)
CHECKPOINT_URI = "azureml://datastores/workspaceblobstore/paths/checkpoints/${{name}}/"


def printed_job(stdout):
    """The job a dry run printed as Azure ML's YAML."""
    return yaml.safe_load(stdout.split("The job, as Azure ML's YAML:\n")[1].split("snapshot:")[0])


@pytest.mark.slow
def test_dry_run_builds_the_submission_offline_and_lists_the_snapshot(project_copy, offline):
    add_snapshot_files(project_copy)
    out = dry_run("04-run-pytorch.py", project_copy, offline, "--", "--epochs", "3")
    job = printed_job(out)
    assert (job["type"], job["command"]) == ("command", f"python train.py {CHECKPOINTS} --epochs 3")
    assert job["outputs"] == {"checkpoints": {"type": "uri_folder", "path": CHECKPOINT_URI, "mode": "rw_mount"}}
    assert job["limits"] == {"timeout": 7200}
    assert out.splitlines()[1:8] == ["Dry run: nothing is submitted.", *COST_BLOCK]  # before the job
    assert job["code"] == str(project_copy / "src")
    assert (job["compute"], job["experiment_name"]) == (f"azureml:{CHOSEN.compute_name}", CHOSEN.experiment_name)
    assert job["environment"]["image"] == sdk.BASE_IMAGE
    conda = yaml.safe_load((project_copy / ".azureml" / "pytorch-env.yml").read_text())
    pip_entry(conda)["pip"] = job_lock_lines("cpu")  # the environment file, its pip list as the CPU lock pins it
    assert job["environment"]["conda_file"] == conda
    assert "distribution" not in job and job["resources"]["instance_count"] == 1
    assert_snapshot_listed(out, project_copy)


@pytest.mark.slow
def test_dry_run_shows_distributed_settings(project_copy, offline):
    job = printed_job(dry_run("04-run-pytorch.py", project_copy, offline, *GPU_ON_2_NODES, "--experiment", "scale-out"))
    assert job["distribution"] == {"type": "pytorch", "process_count_per_instance": 2}
    assert job["resources"]["instance_count"] == 2
    assert (job["compute"], job["experiment_name"]) == ("azureml:gpu-cluster", "scale-out")
    assert job["command"] == f"python train.py {CHECKPOINTS} --device cuda"
    assert pip_entry(job["environment"]["conda_file"])["pip"] == job_lock_lines("cu126")  # CUDA 12.6 torch


@pytest.mark.slow
def test_dry_run_with_the_data_asset_shows_the_mount(project_copy, offline):
    job = printed_job(dry_run("06-run-pytorch-data.py", project_copy, offline, "--", "--epochs", "3"))
    assert job["command"] == "python train.py --data-path ${{inputs.data}} " + CHECKPOINTS + " --epochs 3"
    assert job["outputs"]["checkpoints"] == {"type": "uri_folder", "path": CHECKPOINT_URI, "mode": "rw_mount"}
    assert job["inputs"]["data"] == {"type": "uri_folder", "path": "azureml:cifar10@latest", "mode": "ro_mount"}


class SubmittedJob:  # what Azure ML answers to a submission, which needs the network
    name = "brave_lamp_abcd1234"
    studio_url = "https://ml.azure.com/runs/brave_lamp_abcd1234"


class Jobs:
    def create_or_update(self, job):
        print("submitted")
        return SubmittedJob()


def test_submission_in_github_actions_puts_the_studio_link_on_the_job_summary(monkeypatch, tmp_path, last_run):
    class Client:
        jobs = Jobs()

    page = summary_page(tmp_path, monkeypatch)
    args = arguments.submission_arguments("test", [])
    from azure.ai.ml import command

    job = command(
        code=str(settings.SOURCE_DIR),
        command="python train.py",
        compute=args.compute,
        environment=submission.training_environment(),
        experiment_name=args.experiment,
    )
    submission.submit(job, args, connection=Client())
    assert page.read_text() == summary_after("brave_lamp_abcd1234", args.experiment)


@pytest.mark.slow
def test_job_yml_loads_offline_and_is_the_job_that_04_submits(project_copy, offline):
    from azure.ai.ml import load_job

    cli_job = load_job(project_copy / "job.yml")  # the SDK's own loader checks it against the job schema
    submitted = printed_job(dry_run("04-run-pytorch.py", project_copy, offline))
    assert cli_job.command == submitted["command"] and cli_job.experiment_name == submitted["experiment_name"]
    assert f"azureml:{cli_job.compute}" == submitted["compute"] and cli_job.display_name == submitted["display_name"]
    assert (project_copy / cli_job.code).resolve() == Path(submitted["code"])
    assert cli_job.environment.image == submitted["environment"]["image"]
    written = yaml.safe_load((project_copy / "job.yml").read_text())  # the same checkpoint mount and time limit
    assert (written["outputs"], written["limits"]) == (submitted["outputs"], submitted["limits"])
    assert cli_job.outputs["checkpoints"].mode == "rw_mount" and cli_job.limits.timeout == 7200
    # the same environment file; 04 sends its pip list as the CPU lock pins it, job.yml the ranges (no pip lock)
    pip_entry(cli_job.environment.conda_file)["pip"] = job_lock_lines("cpu")
    assert cli_job.environment.conda_file == submitted["environment"]["conda_file"]


@pytest.mark.parametrize(
    "change, complaint",
    [
        (("command: python train.py", "comand: python train.py"), "Unknown field"),
        (("code: ./src", "code: ./source"), "Can't find directory or file"),
        (("display_name: train", "display_name: train\nresources:\n  instance_count: two"), "Not a valid integer"),
    ],
)
def test_a_broken_job_yml_is_refused_by_the_sdk_offline(project_copy, change, complaint):
    from azure.ai.ml import load_job

    job_file = project_copy / "job.yml"
    job_file.write_text(job_file.read_text().replace(*change))
    with pytest.raises(Exception) as error:
        load_job(job_file)
    assert complaint in str(error.value)


def test_a_job_azure_ml_would_refuse_is_stopped_before_submission_naming_the_field(tmp_path):
    from azure.ai.ml import command

    class Unreachable:  # the submission must not get this far
        @property
        def jobs(self):
            raise AssertionError("submitted a job that the SDK's own check refuses")

    job = command(
        code=str(tmp_path / "missing"),
        command="python train.py",
        compute=CHOSEN.compute_name,
        environment=submission.training_environment(),
    )
    args = arguments.submission_arguments("test", [])
    with pytest.raises(SystemExit) as exit_info:
        submission.submit(job, args, connection=Unreachable())
    message = str(exit_info.value)
    assert message.startswith("error: Azure ML would refuse the job: code: Can't find directory or file")
    assert len(message.splitlines()) == 2 and "fix: " in message


def sent_job(job):
    """What jobs.create_or_update sends: the command job's REST body, and its environment's (sent first, by itself)."""
    command_job = job._to_job()
    body = command_job._to_rest_object().as_dict()["properties"]
    environment = command_job.environment._to_rest_object().as_dict()["properties"]
    environment["condaFile"] = yaml.safe_load(environment["condaFile"])
    body.pop("environmentId")  # the environment's id, once the SDK has sent it
    return body, environment


def assert_checkpoint_output(body):
    """The job mounts a read-write folder of its own on the datastore, whose path train.py gets as --checkpoint-dir."""
    assert CHECKPOINTS in body["command"]
    assert body["outputs"] == {
        "checkpoints": {"jobOutputType": "uri_folder", "uri": CHECKPOINT_URI, "mode": "ReadWriteMount"}
    }


def file_conda():
    """.azureml/pytorch-env.yml, as YAML."""
    return yaml.safe_load(settings.ENV_FILE.read_text())


def test_cpu_training_job_sends_train_py_and_pytorchs_cpu_wheels():
    args = arguments.submission_arguments("test", ["--", "--epochs", "3"])
    body, environment = sent_job(submission.training_job(args))
    assert (body["jobType"], body["command"]) == ("Command", f"python train.py {CHECKPOINTS} --epochs 3")
    assert_checkpoint_output(body)
    assert body["limits"] == {"jobLimitsType": "Command", "timeout": "PT2H"}
    assert (body["codeId"], body["computeId"]) == (str(settings.SOURCE_DIR), CHOSEN.compute_name)
    assert "distribution" not in body and body["resources"]["instanceCount"] == 1
    assert environment["image"] == sdk.BASE_IMAGE and environment["isAnonymous"]
    conda = file_conda()
    pip_entry(conda)["pip"] = job_lock_lines("cpu")
    assert environment["condaFile"] == conda and f"torch=={TORCH}+cpu" in pip_entry(conda)["pip"]
    assert body["inputs"] == {}


def test_gpu_training_job_on_2_nodes_sends_cuda_torch_device_cuda_and_pytorch_launcher():
    args = arguments.submission_arguments("test", [*GPU_ON_2_NODES, "--", "--epochs", "3"])
    body, environment = sent_job(submission.training_job(args))
    assert body["command"] == f"python train.py {CHECKPOINTS} --device cuda --epochs 3"
    assert body["computeId"] == "gpu-cluster"
    assert_checkpoint_output(body)
    assert body["distribution"] == {"distributionType": "PyTorch", "processCountPerInstance": 2}
    assert body["resources"]["instanceCount"] == 2
    pip = pip_entry(environment["condaFile"])["pip"]
    assert pip == job_lock_lines("cu126")
    assert f"torch=={TORCH}+cu126" in pip and "--extra-index-url https://download.pytorch.org/whl/cu126" in pip
    chosen = arguments.submission_arguments("test", ["--gpu", "--", "--device=cpu"])
    assert sent_job(submission.training_job(chosen))[0]["command"] == f"python train.py {CHECKPOINTS} --device=cpu"


def test_data_job_sends_the_mounted_data_asset_as_the_data_path():
    args = arguments.submission_arguments("test", ["--gpu", "--", "--epochs", "3"])
    data = script("06-run-pytorch-data.py")["cifar10_input"]()
    body, environment = sent_job(submission.training_job(args, data=data))
    assert (
        body["command"] == "python train.py --data-path ${{inputs.data}} " + CHECKPOINTS + " --device cuda --epochs 3"
    )
    assert_checkpoint_output(body)
    assert body["inputs"] == {
        "data": {
            "jobInputType": "uri_folder",
            "uri": f"azureml:{sdk.DATA_ASSET}@latest",
            "mode": "ReadOnlyMount",
        }
    }
    assert pip_entry(environment["condaFile"])["pip"] == job_lock_lines("cu126")


def test_hello_runs_in_the_cpu_training_environment():
    body, environment = sent_job(script("03-run-hello.py")["build_job"]("cpu-cluster", CHOSEN.hello_experiment_name))
    assert (body["command"], body["computeId"]) == ("python hello.py", "cpu-cluster")
    assert body["limits"]["timeout"] == "PT10M" and body["outputs"] == {}  # 10 minutes; no checkpoints
    training = sent_job(submission.training_job(arguments.submission_arguments("test", [])))[1]
    assert environment == training  # one image, built for hello and reused by training


@pytest.mark.parametrize(
    "flags, limit", [([], "PT2H"), (["--max-hours", "0.5"], "PT30M"), (["--max-hours", "12"], "PT12H")]
)
def test_every_training_job_has_a_time_limit_of_its_own(flags, limit):
    args = arguments.submission_arguments("test", flags)
    assert sent_job(submission.training_job(args))[0]["limits"] == {"jobLimitsType": "Command", "timeout": limit}
    hello = script("03-run-hello.py")["build_job"]("cpu-cluster", CHOSEN.hello_experiment_name, 1800)
    assert sent_job(hello)[0]["limits"]["timeout"] == "PT30M"


def test_dry_run_says_what_it_costs_before_the_job(capsys):
    args = arguments.submission_arguments("test", ["--dry-run", "--node-count", "2", "--max-hours", "0.25"])
    submission.submit(submission.training_job(args), args)
    printed = capsys.readouterr().out.splitlines()
    assert printed[:8] == [
        "Dry run: nothing is submitted.",
        *cost_block(CHOSEN, 2, "15 min (900 s, --max-hours)"),
        "The job, as Azure ML's YAML:",
    ]


def test_a_submission_says_what_the_cluster_itself_costs_before_submitting(capsys, last_run):
    from azure.ai.ml.entities import AmlCompute

    class Compute:  # ml_client.compute, whose get() reads the cluster from the workspace over the network
        def get(self, name):
            return AmlCompute(
                name=name,
                size="Standard_NC4as_T4_v3",
                tier="low_priority",
                max_instances=2,
                idle_time_before_scale_down=900,
            )

    class Client:
        jobs, compute = Jobs(), Compute()

    args = arguments.submission_arguments("test", READ_CLUSTER)
    submission.submit(submission.training_job(args), args, connection=Client())
    assert capsys.readouterr().out.splitlines()[:7] == [*CLUSTER_COSTS, "submitted"]


def test_a_submission_that_cannot_read_the_cluster_says_what_the_settings_plan(capsys, last_run):
    from azure.core.exceptions import ResourceNotFoundError

    class Compute:
        def get(self, name):
            raise ResourceNotFoundError(f"Compute {name} not found")

    class Client:
        jobs, compute = Jobs(), Compute()

    args = arguments.submission_arguments("test", [])
    submission.submit(submission.training_job(args), args, connection=Client())
    printed = capsys.readouterr().out.splitlines()
    assert_costs_from_the_settings(printed, CHOSEN, why=f"Compute {CHOSEN.compute_name} not found")


def test_gpu_alone_sends_the_job_to_the_gpu_cluster_and_compute_overrides_it():
    def target(*flags):
        return sent_job(submission.training_job(arguments.submission_arguments("test", list(flags))))[0]["computeId"]

    assert target("--gpu") == settings.GPU_COMPUTE_NAME  # the cluster 02-create-compute.py --gpu makes
    assert target("--gpu", "--compute", "my-gpus") == "my-gpus"
    assert target() == CHOSEN.compute_name


def test_resume_from_an_earlier_job_mounts_its_checkpoint_folder_read_only_and_keeps_its_own():
    args = arguments.submission_arguments("test", ["--resume-from", "tidy_apple_0a1b2c3d"])
    body, _ = sent_job(submission.training_job(args))
    assert_checkpoint_output(body)  # the new checkpoints: the new job's own folder
    assert "--resume-from ${{inputs.resume_from}}" in body["command"]
    assert body["inputs"] == {
        "resume_from": {
            "jobInputType": "uri_folder",
            "uri": "azureml://datastores/workspaceblobstore/paths/checkpoints/tidy_apple_0a1b2c3d/",
            "mode": "ReadOnlyMount",
        }
    }
