"""The control scripts: an offline dry run of the submission, and clear messages when a workspace cannot be reached."""

import json
import os
import pty
import runpy
import socket
import subprocess
import sys
import threading
import time
{%- if cookiecutter.sdk == "v1" %}

import aml_project
{%- else %}
from pathlib import Path

import aml_project
{%- endif %}

import pytest
{%- if cookiecutter.sdk == "v1" %}
from conftest import ROOT, run_script
{%- else %}
import yaml
from conftest import ROOT, run_script
{%- endif %}


@pytest.mark.slow
def test_dry_run_builds_the_submission_offline_and_lists_the_snapshot(project_copy, offline):
    env, network_log = offline
    (project_copy / "src" / "data").mkdir()
    (project_copy / "src" / "data" / "big.bin").write_bytes(b"\0" * 4096)
    (project_copy / "src" / "notes.txt").write_text("kept")
    result = run_script("04-run-pytorch.py", "--dry-run", "--", "--epochs", "3", cwd=project_copy, env=env)
    assert result.returncode == 0, result.stderr
    assert not network_log.exists(), network_log.read_text()
{%- if cookiecutter.sdk == "v1" %}
    out = result.stdout
    assert "script:       train.py" in out and "arguments:    --epochs 3" in out
    assert f"compute:      {aml_project.COMPUTE_NAME}" in out and f"experiment:   {aml_project.EXPERIMENT}" in out
    assert f"environment:  {aml_project.ENV_NAME}" in out and "- conda-forge" in out and "azureml-core" in out
    assert "- --extra-index-url https://download.pytorch.org/whl/cpu" in out  # PyTorch's CPU wheels
    listed = [line.split()[-1] for line in out.split("snapshot:")[1].splitlines()[1:]]
{%- else %}
    job = printed_job(result.stdout)
    assert (job["type"], job["command"]) == ("command", "python train.py --epochs 3")
    assert job["code"] == str(project_copy / "src")
    assert (job["compute"], job["experiment_name"]) == (f"azureml:{aml_project.COMPUTE_NAME}", aml_project.EXPERIMENT)
    assert job["environment"]["image"] == aml_project.BASE_IMAGE
    conda = yaml.safe_load((project_copy / ".azureml" / "pytorch-env.yml").read_text())
    pip_entry(conda)["pip"] += torch_lines("torch-cpu.txt")  # the one environment file, with PyTorch's CPU wheels
    assert job["environment"]["conda_file"] == conda
    assert "distribution" not in job and job["resources"]["instance_count"] == 1
    listed = [line.split()[-1] for line in result.stdout.split("snapshot:")[1].splitlines()[1:]]
{%- endif %}
    assert "notes.txt" in listed and "big.bin" not in " ".join(listed)  # src/.amlignore leaves out data/
    assert sorted(listed) == sorted(path.name for path in (project_copy / "src").iterdir() if path.is_file())


def test_snapshot_follows_amlignore_over_gitignore(project_copy):
    src = project_copy / "src"
    (src / ".gitignore").write_text("model.py\n")
    files, ignore = aml_project.snapshot(src)
    assert "model.py" in [path for path, _ in files] and ignore.name == ".amlignore"
    (src / ".amlignore").unlink()
    files, ignore = aml_project.snapshot(src)
    assert "model.py" not in [path for path, _ in files] and ignore.name == ".gitignore"


@pytest.mark.slow
@pytest.mark.parametrize("script", ["02-create-compute.py", "03-run-hello.py", "04-run-pytorch.py"])
def test_missing_workspace_config_gives_a_clear_message(script, project_copy, offline):
    env, network_log = offline
    result = run_script(script, cwd=project_copy, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no workspace config: .azureml/config.json was not found")
    assert "01-create-workspace.py" in result.stderr and "Download config file" in result.stderr
    assert not network_log.exists()


@pytest.mark.slow
def test_broken_workspace_config_gives_a_clear_message(project_copy, offline):
    env, _ = offline
    (project_copy / ".azureml" / "config.json").write_text('{"subscription_id": ')
    result = run_script("02-create-compute.py", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "config.json is not valid JSON" in result.stderr and "fix: download config.json again" in result.stderr


@pytest.mark.slow
def test_unreachable_azure_gives_a_clear_message_in_time(project_copy, offline):
    env, network_log = offline
    config = {
        "subscription_id": "01234567-89ab-cdef-0123-456789abcdef",
        "resource_group": "rg",
        "workspace_name": "ws1",
    }
    (project_copy / ".azureml" / "config.json").write_text(json.dumps(config))
    started = time.monotonic()
    result = run_script(
        "04-run-pytorch.py", cwd=project_copy, env={**env, **FAKE_SERVICE_PRINCIPAL}, timeout=aml_project.TIMEOUT_S + 30
    )
    assert time.monotonic() - started < aml_project.TIMEOUT_S + 15
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        "error: logging in (service principal from AZURE_CLIENT_ID) and connecting to workspace 'ws1' failed"
        in result.stderr
    )
    assert "AZURE_CLIENT_SECRET" in result.stderr
    assert network_log.exists()  # it did try, and was refused


def test_a_hung_azure_call_is_abandoned_after_its_timeout():
    started = time.monotonic()
    with pytest.raises(SystemExit) as exit_info:
        aml_project.bounded(lambda: time.sleep(60), 0.5, "reaching the workspace", "run again")
    assert time.monotonic() - started < 5
    assert str(exit_info.value).startswith("error: no answer after 0.5 s while reaching the workspace")


@pytest.mark.slow
def test_create_workspace_names_the_missing_details(project_copy, offline):
    env, network_log = offline
    result = run_script("01-create-workspace.py", "--subscription-id", "", "--region", "", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--subscription-id" in result.stderr.splitlines()[0] and "--region" in result.stderr.splitlines()[0]
    assert not network_log.exists()


@pytest.mark.slow
{%- if cookiecutter.sdk == "v1" %}
def test_control_scripts_without_azureml_core_say_how_to_install_it(project_copy):
{%- else %}
def test_control_scripts_without_azure_ai_ml_say_how_to_install_it(project_copy):
{%- endif %}
    code = (
{%- if cookiecutter.sdk == "v1" %}
        "import runpy, sys; sys.modules['azureml'] = None; sys.path.insert(0, '.'); "
{%- else %}
        "import runpy, sys; sys.modules['azure.ai.ml'] = None; sys.path.insert(0, '.'); "
{%- endif %}
        "sys.argv = ['04-run-pytorch.py', '--dry-run']; runpy.run_path('04-run-pytorch.py', run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=project_copy, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
{%- if cookiecutter.sdk == "v1" %}
    assert result.stderr.startswith("error: azureml-core (the Azure ML SDK v1) is not installed")
{%- else %}
    assert result.stderr.startswith("error: azure-ai-ml (the Azure ML SDK v2) or azure-identity is not installed")
{%- endif %}
    assert "conda env create -f .azureml/pytorch-env.yml" in result.stderr
{%- if cookiecutter.sdk == "v1" %}


FAKE_SERVICE_PRINCIPAL = {"AZURE_TENANT_ID": "tenant", "AZURE_CLIENT_ID": "client", "AZURE_CLIENT_SECRET": "secret"}
{%- else %}


def printed_job(stdout):
    """The job a dry run printed as Azure ML's YAML."""
    return yaml.safe_load(stdout.split("The job, as Azure ML's YAML:\n")[1].split("snapshot:")[0])


FAKE_SERVICE_PRINCIPAL = {"AZURE_TENANT_ID": "tenant", "AZURE_CLIENT_ID": "client", "AZURE_CLIENT_SECRET": "secret"}
{%- endif %}
NO_LOGIN = {name: "" for name in FAKE_SERVICE_PRINCIPAL}


def write_config(project):
    config = {
        "subscription_id": "01234567-89ab-cdef-0123-456789abcdef",
        "resource_group": "rg",
        "workspace_name": "ws1",
    }
    (project / ".azureml" / "config.json").write_text(json.dumps(config))


@pytest.mark.slow
def test_oversized_snapshot_is_refused_at_once_naming_the_file_and_the_fix(project_copy, offline):
    env, network_log = offline
    with open(project_copy / "src" / "weights.bin", "wb") as big:  # sparse: 310 MB on paper, nothing on disk
        big.truncate(310 * 2**20)
    started = time.monotonic()
    result = run_script("04-run-pytorch.py", cwd=project_copy, env=env)
    assert time.monotonic() - started < 5
    assert result.returncode == 1 and "Traceback" not in result.stderr
{%- if cookiecutter.sdk == "v1" %}
    assert "over Azure ML's limit of 300 MB; largest: weights.bin (310 MB)" in result.stderr
{%- else %}
    assert "over this project's limit of 300 MB; largest: weights.bin (310 MB)" in result.stderr
{%- endif %}
    assert "add to src/.amlignore: weights.bin" in result.stderr
    assert not network_log.exists()
    with open(project_copy / "src" / ".amlignore", "a") as ignore:
        ignore.write("weights.bin\n")
    accepted = run_script("04-run-pytorch.py", "--dry-run", cwd=project_copy, env=env)
    assert accepted.returncode == 0, accepted.stderr
    assert "weights.bin" not in accepted.stdout


def test_too_many_files_in_the_snapshot_names_the_folder(project_copy):
    before = len(aml_project.snapshot(project_copy / "src")[0])
    many = project_copy / "src" / "frames"
    many.mkdir()
    for i in range(2001):
        (many / f"{i}.txt").touch()
{%- if cookiecutter.sdk == "v1" %}
    limit = "Azure ML's limit"
{%- else %}
    limit = "this project's limit"
{%- endif %}
    with pytest.raises(SystemExit, match=rf"has {before + 2001} files, over {limit} of 2000; most are in frames"):
        aml_project.check_snapshot(project_copy / "src")


@pytest.mark.slow
def test_environment_file_missing_an_imported_package_is_named(project_copy, offline):
    env, _ = offline
    env_file = project_copy / ".azureml" / "pytorch-env.yml"
    env_file.write_text(env_file.read_text().replace("      - tqdm>=4.60\n", ""))
    result = run_script("04-run-pytorch.py", "--dry-run", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: src/")  # the module that imports it
    assert result.stderr.splitlines()[0].endswith(".py imports tqdm, but pytorch-env.yml does not name tqdm")
    assert "add '- tqdm' under pip:" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "script, flags",
    [("04-run-pytorch.py", ["--dry-run", "--compute", "gpu_cluster"]), ("02-create-compute.py", ["--name", "9lives"])],
)
def test_invalid_compute_name_is_refused_before_any_network_call(script, flags, project_copy, offline):
    env, network_log = offline
    write_config(project_copy)
    result = run_script(script, *flags, cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: compute name") and "2-16 letters" in result.stderr
    assert not network_log.exists()


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
{%- if cookiecutter.sdk == "v1" %}
    line = next(line for line in result.stdout.splitlines() if line.startswith("distributed:"))
    assert line.lower() == "distributed:  pytorch, 2 node(s), 4 process(es) in all, backend nccl"
    assert "compute:      gpu-cluster" in result.stdout and "experiment:   scale-out" in result.stdout
    assert "arguments:    --device cuda" in result.stdout
    assert all(f"- {line}" in result.stdout for line in torch_lines("torch-gpu.txt"))  # CUDA 12 torch, pinned
{%- else %}
    job = printed_job(result.stdout)
    assert job["distribution"] == {"type": "pytorch", "process_count_per_instance": 2}
    assert job["resources"]["instance_count"] == 2
    assert (job["compute"], job["experiment_name"]) == ("azureml:gpu-cluster", "scale-out")
    assert job["command"] == "python train.py --device cuda"
    assert pip_entry(job["environment"]["conda_file"])["pip"][-3:] == torch_lines("torch-gpu.txt")  # CUDA 12 torch
{%- endif %}
    assert not network_log.exists()


@pytest.mark.slow
{%- if cookiecutter.sdk == "v1" %}
def test_dry_run_with_the_datastore_shows_the_data_mount(project_copy, offline):
{%- else %}
def test_dry_run_with_the_data_asset_shows_the_mount(project_copy, offline):
{%- endif %}
    env, network_log = offline
    result = run_script("06-run-pytorch-data.py", "--dry-run", "--", "--epochs", "3", cwd=project_copy, env=env)
    assert result.returncode == 0, result.stderr
{%- if cookiecutter.sdk == "v1" %}
    assert "arguments:    --data-path $AZUREML_DATAREFERENCE_cifar10 --epochs 3" in result.stdout
    assert "data:         mount workspaceblobstore/datasets/cifar10" in result.stdout
{%- else %}
    job = printed_job(result.stdout)
    assert job["command"] == "python train.py --data-path {% raw %}${{inputs.data}}{% endraw %} --epochs 3"
    assert job["inputs"]["data"] == {"type": "uri_folder", "path": "azureml:cifar10@latest", "mode": "ro_mount"}
{%- endif %}
    assert not network_log.exists()


@pytest.mark.slow
def test_upload_without_downloaded_data_says_how_to_get_it(project_copy, offline):
    env, _ = offline
    result = run_script("05-upload-data.py", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no CIFAR-10 in") and "python src/train.py --epochs 1" in result.stderr


@pytest.mark.slow
def test_a_proxy_that_never_answers_ends_within_the_timeout(project_copy):
    server = socket.create_server(("127.0.0.1", 0))
    held = []
    threading.Thread(target=lambda: [held.append(server.accept()) for _ in iter(int, 1)], daemon=True).start()
    proxy = f"http://127.0.0.1:{server.getsockname()[1]}"
    write_config(project_copy)
    env = {**FAKE_SERVICE_PRINCIPAL, "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "NO_PROXY": ""}
    started = time.monotonic()
    result = run_script("04-run-pytorch.py", "--timeout", "3", cwd=project_copy, env=env, timeout=60)
    assert time.monotonic() - started < 15
    assert held, "the request never reached the silent proxy"
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no answer after 3 s while logging in (service principal")
    assert "AZURE_CLIENT_SECRET" in result.stderr
    server.close()


@pytest.mark.slow
def test_without_any_login_the_scripts_say_how_to_log_in(project_copy, offline, tmp_path):
    env, network_log = offline
    write_config(project_copy)
    result = run_script("03-run-hello.py", cwd=project_copy, env={**env, **NO_LOGIN, "PATH": str(tmp_path)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no way to log in") and "az login --use-device-code" in result.stderr
    assert not network_log.exists()


@pytest.mark.slow
def test_azure_cli_that_is_not_logged_in_is_reported(project_copy, offline, tmp_path):
    env, _ = offline
    write_config(project_copy)
    az = tmp_path / "az"  # stands in for the CLI, whose real answer needs the network
    az.write_text("#!/bin/sh\necho 'ERROR: Please run az login to setup account.' >&2\nexit 1\n")
    az.chmod(0o755)
    result = run_script(
        "04-run-pytorch.py",
        cwd=project_copy,
        env={**env, **NO_LOGIN, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
{%- if cookiecutter.sdk == "v1" %}
    assert "(Azure CLI login)" in result.stderr and "the Azure CLI is not logged in" in result.stderr
    assert "az login --use-device-code" in result.stderr
{%- else %}
    assert result.stderr.startswith("error: logging in (Azure CLI login) and connecting to workspace 'ws1' failed")
    assert "az login" in result.stderr.splitlines()[0] and "az login --use-device-code" in result.stderr
{%- endif %}


def test_login_chain_prefers_a_service_principal_then_the_azure_cli(monkeypatch, tmp_path):
{%- if cookiecutter.sdk == "v1" %}
    from azureml.core.authentication import ServicePrincipalAuthentication, TokenAuthentication
{%- else %}
    from azure.identity import AzureCliCredential, ClientSecretCredential
{%- endif %}

    for name, value in FAKE_SERVICE_PRINCIPAL.items():
        monkeypatch.setenv(name, value)
{%- if cookiecutter.sdk == "v1" %}
    auth, how = aml_project.authentication()
    assert isinstance(auth, ServicePrincipalAuthentication) and how.startswith("service principal")
{%- else %}
    credential, how = aml_project.authentication()
    assert isinstance(credential, ClientSecretCredential) and how.startswith("service principal")
{%- endif %}
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    with pytest.raises(SystemExit, match="only AZURE_TENANT_ID, AZURE_CLIENT_ID of the service principal"):
        aml_project.authentication()
    for name in FAKE_SERVICE_PRINCIPAL:
        monkeypatch.delenv(name, raising=False)
{%- if cookiecutter.sdk == "v1" %}
    (tmp_path / "az").write_text(
        "#!/bin/sh\necho '{\"accessToken\": \"token-for-'$4'\", \"expires_on\": 4070908800}'\n"
    )
    (tmp_path / "az").chmod(0o755)
{%- else %}
    az = tmp_path / "az"  # answers as a logged-in CLI does, repeating what it was asked
    az.write_text(
        '#!/bin/sh\necho "{\\"accessToken\\": \\"token for $*\\", \\"expiresOn\\": \\"2099-01-01 00:00:00.000000\\", '
        '\\"expires_on\\": 4070908800, \\"tokenType\\": \\"Bearer\\"}"\n'
    )
    az.chmod(0o755)
{%- endif %}
    monkeypatch.setenv("PATH", str(tmp_path))
{%- if cookiecutter.sdk == "v1" %}
    auth, how = aml_project.authentication()
    assert isinstance(auth, TokenAuthentication) and how == "Azure CLI login"
    assert aml_project.azure_cli_token(str(tmp_path / "az"), "https://management.azure.com/") == (
        "token-for-https://management.azure.com/",
        4070908800,
    )
{%- else %}
    credential, how = aml_project.authentication()
    assert isinstance(credential, AzureCliCredential) and how == "Azure CLI login"
    token = credential.get_token("https://management.azure.com/.default")
    assert token.token.startswith("token for account get-access-token") and "management.azure.com" in token.token
{%- endif %}


WORKSPACE_FROM_VARIABLES = {
    "AZURE_SUBSCRIPTION_ID": "01234567-89ab-cdef-0123-456789abcdef",
    "AZURE_RESOURCE_GROUP": "rg",
    "AZUREML_WORKSPACE_NAME": "ws-from-ci",
}


@pytest.mark.slow
def test_workspace_named_by_environment_variables_is_used_when_there_is_no_config_file(project_copy, offline):
    env, network_log = offline
    result = run_script(
        "04-run-pytorch.py", cwd=project_copy, env={**env, **FAKE_SERVICE_PRINCIPAL, **WORKSPACE_FROM_VARIABLES}
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Pre-flight checks passed" in result.stdout
    assert "connecting to workspace 'ws-from-ci' failed" in result.stderr
    assert "check the names in AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME" in result.stderr
    assert network_log.exists()  # it went on to Azure, and was refused


def test_workspace_variables_set_in_part_name_the_missing_ones(project_copy, monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", WORKSPACE_FROM_VARIABLES["AZURE_SUBSCRIPTION_ID"])
    monkeypatch.setenv("AZURE_RESOURCE_GROUP", "rg")
    monkeypatch.delenv("AZUREML_WORKSPACE_NAME", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        aml_project.read_config(project_copy)
    assert "(AZUREML_WORKSPACE_NAME not set)" in str(exit_info.value)
    monkeypatch.setenv("AZUREML_WORKSPACE_NAME", "ws-from-ci")
    assert aml_project.read_config(project_copy) == (
        None,
        {
            "subscription_id": WORKSPACE_FROM_VARIABLES["AZURE_SUBSCRIPTION_ID"],
            "resource_group": "rg",
            "workspace_name": "ws-from-ci",
        },
    )


def test_submission_in_github_actions_puts_the_studio_link_on_the_job_summary(monkeypatch, tmp_path):
{%- if cookiecutter.sdk == "v1" %}
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
{%- else %}
    class SubmittedJob:  # what Azure ML answers to a submission, which needs the network
        name = "brave_lamp_abcd1234"
        studio_url = "https://ml.azure.com/runs/brave_lamp_abcd1234"

    class Jobs:
        def create_or_update(self, job):
            return SubmittedJob()

    class Client:
        jobs = Jobs()

    page = tmp_path / "summary.md"
{%- endif %}
    page.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(page))
    args = aml_project.submission_arguments("test", [])
{%- if cookiecutter.sdk == "v1" %}
    aml_project.submit(config=None, args=args, ws=object(), checked=True)
{%- else %}
    from azure.ai.ml import command

    job = command(
        code=str(aml_project.SOURCE_DIR),
        command="python train.py",
        compute=args.compute,
        environment=aml_project.training_environment(),
        experiment_name=args.experiment,
    )
    aml_project.submit(job=job, args=args, client=Client(), checked=True)
{%- endif %}
    assert page.read_text() == (
{%- if cookiecutter.sdk == "v1" %}
        "# earlier step\nTraining run day1_1700000000_abcd submitted to experiment "
{%- else %}
        "# earlier step\nTraining run brave_lamp_abcd1234 submitted to experiment "
{%- endif %}
        + args.experiment
{%- if cookiecutter.sdk == "v1" %}
        + ": [open it in Azure ML Studio](https://ml.azure.com/runs/day1_1700000000_abcd)\n"
{%- else %}
        + ": [open it in Azure ML Studio](https://ml.azure.com/runs/brave_lamp_abcd1234)\n"
{%- endif %}
    )
{%- if cookiecutter.sdk == "v1" %}
{%- else %}


@pytest.mark.slow
def test_job_yml_loads_offline_and_is_the_job_that_04_submits(project_copy, offline):
    from azure.ai.ml import load_job

    env, network_log = offline
    cli_job = load_job(project_copy / "job.yml")  # the SDK's own loader checks it against the job schema
    result = run_script("04-run-pytorch.py", "--dry-run", cwd=project_copy, env=env)
    assert result.returncode == 0, result.stderr
    submitted = printed_job(result.stdout)
    assert cli_job.command == submitted["command"] and cli_job.experiment_name == submitted["experiment_name"]
    assert f"azureml:{cli_job.compute}" == submitted["compute"] and cli_job.display_name == submitted["display_name"]
    assert (project_copy / cli_job.code).resolve() == Path(submitted["code"])
    assert cli_job.environment.image == submitted["environment"]["image"]
    # the same environment file; 04 adds the index of PyTorch's CPU wheels, job.yml installs PyPI's torch
    pip_entry(cli_job.environment.conda_file)["pip"] += torch_lines("torch-cpu.txt")
    assert cli_job.environment.conda_file == submitted["environment"]["conda_file"]
    assert not network_log.exists()


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
        compute=aml_project.COMPUTE_NAME,
        environment=aml_project.training_environment(),
    )
    args = aml_project.submission_arguments("test", [])
    with pytest.raises(SystemExit) as exit_info:
        aml_project.submit(job=job, args=args, client=Unreachable(), checked=True)
    message = str(exit_info.value)
    assert message.startswith("error: Azure ML would refuse the job: code: Can't find directory or file")
    assert len(message.splitlines()) == 2 and "fix: " in message


@pytest.mark.slow
def test_a_config_the_sdk_cannot_read_gives_a_clear_message_before_any_network_call(project_copy, offline):
    env, network_log = offline
    (project_copy / ".azureml" / "config.json").write_text('{"Scope": "not-a-resource-id"}')
    result = run_script("02-create-compute.py", cwd=project_copy, env={**env, **FAKE_SERVICE_PRINCIPAL})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "config.json does not name a workspace" in result.stderr and "download config.json again" in result.stderr
    assert not network_log.exists()
{%- endif %}


def torch_lines(name):
    """The pip lines of .azureml/torch-cpu.txt or torch-gpu.txt: all but the comments."""
    text = (ROOT / ".azureml" / name).read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def pip_entry(conda):
    """The pip: entry of a conda environment's dependencies."""
    return next(entry for entry in conda["dependencies"] if isinstance(entry, dict) and "pip" in entry)


def script(name):
    """A control script's functions, loaded without running its main()."""
    return runpy.run_path(str(ROOT / name))


SUBSCRIPTION = "01234567-89ab-cdef-0123-456789abcdef"


def fake_az(folder, lifetime_s=3600):
    """An `az` in folder that logs its arguments to az.log and answers with a token valid for lifetime_s seconds."""
    az, log = folder / "az", folder / "az.log"  # stands in for the CLI, whose real answer needs the network
    az.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'echo "{\\"accessToken\\": \\"token-$$\\", \\"tokenType\\": \\"Bearer\\", '
        '\\"expiresOn\\": \\"2099-01-01 00:00:00.000000\\", '
        f'\\"expires_on\\": $(( $(date +%s) + {lifetime_s} ))}}"\n'
    )
    az.chmod(0o755)
    return log


@pytest.mark.slow
def test_create_workspace_logs_in_as_the_other_scripts_do_for_its_subscription(project_copy, offline, tmp_path):
    env, network_log = offline
    az_log = fake_az(tmp_path)
    result = run_script(
        "01-create-workspace.py",
        *["--subscription-id", SUBSCRIPTION, "--resource-group", "rg", "--workspace-name", "ws1"],
        *["--region", "eastus"],
        "--timeout",
        "30",
        cwd=project_copy,
        env={**env, **NO_LOGIN, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"},
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: creating workspace 'ws1' (Azure CLI login)" in result.stderr
    assert f"--subscription {SUBSCRIPTION}" in az_log.read_text()  # the CLI's token for the workspace's subscription
    assert network_log.exists()  # it went on to Azure, and was refused


@pytest.mark.slow
def test_device_code_sign_in_waits_minutes_for_the_person(project_copy, offline, tmp_path):
    env, network_log = offline
    write_config(project_copy)
    terminal, person = pty.openpty()  # a terminal, where a device code can be shown
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(project_copy / "03-run-hello.py")],
        cwd=project_copy,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=person,
        env={**os.environ, **env, **NO_LOGIN, "PATH": str(tmp_path), "AZURE_CONFIG_DIR": str(tmp_path / "azure")},
    )
    os.close(terminal)
    os.close(person)
    assert f"Waiting up to {aml_project.SIGN_IN_TIMEOUT_S // 60} minutes for you to sign in" in result.stdout
    assert result.returncode == 1 and "Traceback" not in result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error: "))
    assert "(device code)" in error and time.monotonic() - started < 60  # the network refused at once
    assert network_log.exists()
{%- if cookiecutter.sdk == "v1" %}


def test_azure_cli_token_is_asked_for_once_per_audience_until_it_expires(tmp_path):
    from azureml.core.authentication import Audience, TokenAuthentication

    az_log = fake_az(tmp_path, lifetime_s=aml_project.TOKEN_MARGIN_S + 4)  # stale 4 s from now
    auth = TokenAuthentication(aml_project.AzureCliTokens(str(tmp_path / "az"), SUBSCRIPTION, timeout=30))
    first = auth.get_token(Audience.ARM)
    assert auth.get_token(Audience.ARM) == first and len(az_log.read_text().splitlines()) == 1
    assert auth.get_token(Audience.AZUREML) != first and len(az_log.read_text().splitlines()) == 2
    time.sleep(5)
    assert auth.get_token(Audience.ARM) != first
    calls = az_log.read_text().splitlines()
    assert len(calls) == 3 and calls[0] == calls[2] != calls[1]
    assert all(call.startswith("account get-access-token --resource https://") for call in calls)
    assert all(call.endswith(f"--subscription {SUBSCRIPTION}") for call in calls)
{%- else %}


def test_device_code_credential_waits_minutes_and_the_cli_login_names_the_subscription(monkeypatch, tmp_path, capsys):
    from azure.identity import AzureCliCredential, DeviceCodeCredential

    class Terminal:
        def isatty(self):
            return True

    for name in FAKE_SERVICE_PRINCIPAL:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", Terminal())
    credential, how = aml_project.authentication(timeout=60, subscription=SUBSCRIPTION)
    assert isinstance(credential, DeviceCodeCredential) and how == "device code"
    assert credential._timeout == aml_project.SIGN_IN_TIMEOUT_S == 300  # the person's time, not the network's 60 s
    assert "Waiting up to 5 minutes for you to sign in" in capsys.readouterr().out
    az_log = fake_az(tmp_path)
    credential, how = aml_project.authentication(timeout=60, subscription=SUBSCRIPTION)
    assert isinstance(credential, AzureCliCredential)
    credential.get_token("https://management.azure.com/.default")
    assert f"--subscription {SUBSCRIPTION}" in az_log.read_text()
{%- endif %}
{%- if cookiecutter.sdk == "v1" %}


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

    return list(CondaDependencies(conda_dependencies_file_path=str(aml_project.ENV_FILE)).pip_packages)


def test_cpu_training_run_sends_train_py_and_pytorchs_cpu_wheels():
    args = aml_project.submission_arguments("test", ["--", "--epochs", "3"])
    sent = sent_run(script("04-run-pytorch.py")["build_run_config"](args))
    assert (sent["script"], sent["arguments"]) == ("train.py", ["--epochs", "3"])
    assert sent["target"] == aml_project.COMPUTE_NAME
    assert (sent["framework"], sent["nodeCount"], sent["pytorch"]["processCount"]) == ("Python", 1, None)
    assert sent["environment"]["name"] == aml_project.ENV_NAME
    assert sent_pip(sent) == file_pip() + torch_lines("torch-cpu.txt")
    assert sent["dataReferences"] == {} and sent["data"] == {}


def test_gpu_training_run_on_2_nodes_sends_cuda_torch_device_cuda_and_nccl():
    flags = ["--gpu", "--node-count", "2", "--process-count-per-node", "2", "--compute", "gpu-cluster"]
    args = aml_project.submission_arguments("test", [*flags, "--", "--epochs", "3"])
    sent = sent_run(script("04-run-pytorch.py")["build_run_config"](args))
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
    chosen = aml_project.submission_arguments("test", ["--gpu", "--", "--device=cpu"])
    assert sent_run(script("04-run-pytorch.py")["build_run_config"](chosen))["arguments"] == ["--device=cpu"]


def test_data_run_sends_the_datastore_mount_as_the_data_path():
    args = aml_project.submission_arguments("test", ["--", "--epochs", "3"])
    sent = sent_run(script("06-run-pytorch-data.py")["build_run_config"](args))
    assert sent["script"] == "train.py"
    assert sent["arguments"] == ["--data-path", "$AZUREML_DATAREFERENCE_cifar10", "--epochs", "3"]
    reference = sent["dataReferences"]["cifar10"]
    assert (reference["dataStoreName"], reference["pathOnDataStore"], reference["mode"]) == (
        "workspaceblobstore",
        aml_project.DATASTORE_PATH,
        "mount",
    )
    assert sent["target"] == aml_project.COMPUTE_NAME and sent_pip(sent) == file_pip() + torch_lines("torch-cpu.txt")


def test_hello_runs_in_the_cpu_training_environment():
    sent = sent_run(script("03-run-hello.py")["build_run_config"]("cpu-cluster"))
    assert (sent["script"], sent["arguments"], sent["target"]) == ("hello.py", [], "cpu-cluster")
    assert sent["environment"]["name"] == aml_project.ENV_NAME
    assert sent_pip(sent) == file_pip() + torch_lines("torch-cpu.txt")
{%- else %}


def sent_job(job):
    """What jobs.create_or_update sends: the command job's REST body, and its environment's (sent first, by itself)."""
    command_job = job._to_job()
    body = command_job._to_rest_object().as_dict()["properties"]
    environment = command_job.environment._to_rest_object().as_dict()["properties"]
    environment["condaFile"] = yaml.safe_load(environment["condaFile"])
    body.pop("environmentId")  # the environment's id, once the SDK has sent it
    return body, environment


def file_conda():
    """.azureml/pytorch-env.yml, as YAML."""
    return yaml.safe_load(aml_project.ENV_FILE.read_text())


def test_cpu_training_job_sends_train_py_and_pytorchs_cpu_wheels():
    args = aml_project.submission_arguments("test", ["--", "--epochs", "3"])
    body, environment = sent_job(script("04-run-pytorch.py")["build_job"](args))
    assert (body["jobType"], body["command"]) == ("Command", "python train.py --epochs 3")
    assert (body["codeId"], body["computeId"]) == (str(aml_project.SOURCE_DIR), aml_project.COMPUTE_NAME)
    assert "distribution" not in body and body["resources"]["instanceCount"] == 1
    assert environment["image"] == aml_project.BASE_IMAGE and environment["isAnonymous"]
    conda = file_conda()
    pip_entry(conda)["pip"] += torch_lines("torch-cpu.txt")
    assert environment["condaFile"] == conda
    assert body["inputs"] == {}


def test_gpu_training_job_on_2_nodes_sends_cuda_torch_device_cuda_and_pytorch_launcher():
    flags = ["--gpu", "--node-count", "2", "--process-count-per-node", "2", "--compute", "gpu-cluster"]
    args = aml_project.submission_arguments("test", [*flags, "--", "--epochs", "3"])
    body, environment = sent_job(script("04-run-pytorch.py")["build_job"](args))
    assert body["command"] == "python train.py --device cuda --epochs 3" and body["computeId"] == "gpu-cluster"
    assert body["distribution"] == {"distributionType": "PyTorch", "processCountPerInstance": 2}
    assert body["resources"]["instanceCount"] == 2
    pip = pip_entry(environment["condaFile"])["pip"]
    kept = [spec for spec in pip_entry(file_conda())["pip"] if not spec.startswith(("torch>", "torch=", "torchvision"))]
    assert pip == kept + torch_lines("torch-gpu.txt")
    assert "torch==2.9.1+cu126" in pip and "--extra-index-url https://download.pytorch.org/whl/cu126" in pip
    chosen = aml_project.submission_arguments("test", ["--gpu", "--", "--device=cpu"])
    assert sent_job(script("04-run-pytorch.py")["build_job"](chosen))[0]["command"] == "python train.py --device=cpu"


def test_data_job_sends_the_mounted_data_asset_as_the_data_path():
    args = aml_project.submission_arguments("test", ["--gpu", "--", "--epochs", "3"])
    body, environment = sent_job(script("06-run-pytorch-data.py")["build_job"](args))
    assert body["command"] == "python train.py --data-path {% raw %}${{inputs.data}}{% endraw %} --device cuda --epochs 3"
    assert body["inputs"] == {
        "data": {
            "jobInputType": "uri_folder",
            "uri": f"azureml:{aml_project.DATA_ASSET}@latest",
            "mode": "ReadOnlyMount",
        }
    }
    assert pip_entry(environment["condaFile"])["pip"][-3:] == torch_lines("torch-gpu.txt")


def test_hello_runs_in_the_cpu_training_environment():
    body, environment = sent_job(script("03-run-hello.py")["build_job"]("cpu-cluster"))
    assert (body["command"], body["computeId"]) == ("python hello.py", "cpu-cluster")
    training = sent_job(script("04-run-pytorch.py")["build_job"](aml_project.submission_arguments("test", [])))[1]
    assert environment == training  # one image, built for hello and reused by training
{%- endif %}
