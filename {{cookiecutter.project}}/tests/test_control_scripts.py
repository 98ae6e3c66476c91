"""The control scripts with either SDK: pre-flight checks, the settings file, clear messages when Azure is away."""

import json
import os
import re
import select
import socket
import subprocess
import sys
import time

from aml import arguments, costs, messages, preflight, remote_error, sdk, settings

import pytest
from conftest import pseudo_terminal, run_script
from script_helpers import (
    FAKE_SERVICE_PRINCIPAL,
    NO_LOGIN,
    SUBSCRIPTION,
    dry_run,
    fake_az,
    path_with,
    script,
    write_config,
)


def test_snapshot_follows_amlignore_over_gitignore(project_copy):
    src = project_copy / "src"
    (src / ".gitignore").write_text("model.py\n")
    files, ignore = preflight.snapshot(src)
    assert "model.py" in [path for path, _ in files] and ignore.name == ".amlignore"
    (src / ".amlignore").unlink()
    files, ignore = preflight.snapshot(src)
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
    result = run_script(  # the login's own timeout ends it: the subprocess's is only a backstop
        "04-run-pytorch.py", cwd=project_copy, env={**env, **FAKE_SERVICE_PRINCIPAL}, timeout=settings.TIMEOUT_S + 30
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        "error: logging in (service principal from AZURE_CLIENT_ID) and connecting to workspace 'ws1' failed"
        in result.stderr
    )
    assert "Azure could not be reached (the connection failed: " in result.stderr  # not a login to fix
    assert result.stderr.endswith(f"fix: {messages.NETWORK_FIX}\n")
    assert network_log.exists()  # it did try, and was refused


def test_a_hung_azure_call_is_abandoned_after_its_timeout():
    with pytest.raises(SystemExit) as exit_info:  # the call would return, after 60 s, without SystemExit
        messages.bounded(lambda: time.sleep(60), 0.5, "reaching the workspace", "run again")
    assert str(exit_info.value).startswith("error: no answer after 0.5 s while reaching the workspace")


@pytest.mark.slow
def test_create_workspace_names_the_missing_details(project_copy, offline):
    env, network_log = offline
    result = run_script("01-create-workspace.py", "--subscription-id", "", "--region", "", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--subscription-id" in result.stderr.splitlines()[0] and "--region" in result.stderr.splitlines()[0]
    assert not network_log.exists()


@pytest.mark.slow
def test_oversized_snapshot_is_refused_at_once_naming_the_file_and_the_fix(project_copy, offline):
    env, network_log = offline
    with open(project_copy / "src" / "weights.bin", "wb") as big:  # sparse: 310 MB on paper, nothing on disk
        big.truncate(310 * 2**20)
    result = run_script("04-run-pytorch.py", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"over {sdk.snapshot_limits()[2]} of 300 MB; largest: weights.bin (310 MB)" in result.stderr
    assert "add to src/.amlignore: weights.bin" in result.stderr
    assert not network_log.exists()
    with open(project_copy / "src" / ".amlignore", "a") as ignore:
        ignore.write("weights.bin\n")
    accepted = run_script("04-run-pytorch.py", "--dry-run", cwd=project_copy, env=env)
    assert accepted.returncode == 0, accepted.stderr
    assert "weights.bin" not in accepted.stdout


def test_too_many_files_in_the_snapshot_names_the_folder(project_copy):
    before = len(preflight.snapshot(project_copy / "src")[0])
    many = project_copy / "src" / "frames"
    many.mkdir()
    for i in range(2001):
        (many / f"{i}.txt").touch()
    limit = sdk.snapshot_limits()[2]
    with pytest.raises(SystemExit, match=rf"has {before + 2001} files, over {limit} of 2000; most are in frames"):
        preflight.check_snapshot(project_copy / "src")


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
    assert result.stderr.startswith("error: compute name") and "2-16 characters" in result.stderr
    assert not network_log.exists()


@pytest.mark.slow
def test_upload_without_downloaded_data_says_how_to_get_it(project_copy, offline):
    env, _ = offline
    result = run_script("05-upload-data.py", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no CIFAR-10 in") and "python src/train.py --epochs 1" in result.stderr


@pytest.mark.slow
def test_a_proxy_that_never_answers_ends_within_the_timeout(project_copy):
    with socket.create_server(("127.0.0.1", 0)) as server:  # the kernel takes each connection; nothing answers
        proxy = f"http://127.0.0.1:{server.getsockname()[1]}"
        write_config(project_copy)
        env = {**FAKE_SERVICE_PRINCIPAL, "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "NO_PROXY": ""}
        result = run_script("04-run-pytorch.py", "--timeout", "3", cwd=project_copy, env=env, timeout=60)
        reached, _, _ = select.select([server], [], [], 0)  # a connection waits to be accepted
        assert reached, "the request never reached the silent proxy"
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no answer after 3 s while logging in (service principal")
    assert "AZURE_CLIENT_SECRET" in result.stderr


@pytest.mark.slow
def test_without_any_login_the_scripts_say_how_to_log_in(project_copy, offline, tmp_path):
    env, network_log = offline
    write_config(project_copy)
    result = run_script("03-run-hello.py", cwd=project_copy, env={**env, **NO_LOGIN, "PATH": str(tmp_path)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no way to log in") and "az login --use-device-code" in result.stderr
    assert not network_log.exists()


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
    assert "connecting to workspace 'ws-from-ci' failed" in result.stderr  # the workspace the variables name
    assert network_log.exists()  # it went on to Azure, and was refused


def test_workspace_variables_set_in_part_name_the_missing_ones(project_copy, monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", WORKSPACE_FROM_VARIABLES["AZURE_SUBSCRIPTION_ID"])
    monkeypatch.setenv("AZURE_RESOURCE_GROUP", "rg")
    monkeypatch.delenv("AZUREML_WORKSPACE_NAME", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        settings.read_config(project_copy)
    assert "(AZUREML_WORKSPACE_NAME not set)" in str(exit_info.value)
    monkeypatch.setenv("AZUREML_WORKSPACE_NAME", "ws-from-ci")
    assert settings.read_config(project_copy) == (
        None,
        {
            "subscription_id": WORKSPACE_FROM_VARIABLES["AZURE_SUBSCRIPTION_ID"],
            "resource_group": "rg",
            "workspace_name": "ws-from-ci",
        },
    )


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
        env={**env, **NO_LOGIN, "PATH": path_with(tmp_path)},
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
    terminal, person = pseudo_terminal()  # a terminal, where a device code can be shown
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
    assert f"Waiting up to {settings.SIGN_IN_TIMEOUT_S // 60} minutes for you to sign in" in result.stdout
    assert result.returncode == 1 and "Traceback" not in result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error: "))
    assert "(device code)" in error  # the network refused at once: no wait for the person
    assert network_log.exists()


@pytest.mark.slow
def test_control_scripts_without_the_sdk_say_how_to_install_it(project_copy):
    code = (
        f"import runpy, sys; sys.modules[{sdk.MODULE!r}] = None; sys.path.insert(0, '.'); "
        "sys.argv = ['04-run-pytorch.py', '--dry-run']; runpy.run_path('04-run-pytorch.py', run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=project_copy, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {sdk.NAME} is not installed")
    assert "conda env create -f .azureml/pytorch-env.yml" in result.stderr


SETTINGS = ".azureml/settings.yml"


@pytest.mark.slow
@pytest.mark.parametrize(
    "change, problem, fix",
    [
        (None, f"{SETTINGS} cannot be read", f"fix: restore it: git checkout -- {SETTINGS}"),
        (("compute_name: ", "compute_name: [\n"), f"{SETTINGS} is not valid YAML", f"fix: fix {SETTINGS}"),
        (("compute_name: ", "compute_nme: "), f"{SETTINGS} lacks compute_name", "2-16 characters"),
        (("max_nodes: ", "max_nodes: '4' #"), f"max_nodes in {SETTINGS} is '4', not a whole number", "edit"),
        (("compute_name: ", "compute_name: 1234 #"), f"compute_name in {SETTINGS} is 1234, not text", "edit"),
    ],
)
def test_a_missing_or_broken_settings_file_names_the_key_and_the_fix(project_copy, offline, change, problem, fix):
    env, network_log = offline
    path = project_copy / ".azureml" / "settings.yml"
    if change is None:
        path.unlink()
    else:
        path.write_text(path.read_text().replace(*change))
    for script_name in ("02-create-compute.py", "04-run-pytorch.py"):
        result = run_script(script_name, "--help", cwd=project_copy, env=env)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(f"error: {problem}") and fix in result.stderr.splitlines()[1], result.stderr
    assert not network_log.exists()


@pytest.mark.slow
def test_a_name_that_breaks_its_rule_in_the_settings_is_refused_before_any_network_call(project_copy, offline):
    env, network_log = offline
    write_config(project_copy)
    path = project_copy / ".azureml" / "settings.yml"
    path.write_text(path.read_text().replace("compute_name: ", 'compute_name: "gpu_cluster" #'))
    result = run_script("04-run-pytorch.py", cwd=project_copy, env={**env, **FAKE_SERVICE_PRINCIPAL})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    first, second = result.stderr.splitlines()
    assert first == "error: compute_name in .azureml/settings.yml is 'gpu_cluster', which breaks its rule"
    assert second.startswith("fix: edit compute_name in .azureml/settings.yml: it must be 2-16 characters")
    assert not network_log.exists()


def test_the_settings_hold_the_answers_each_within_its_rule():
    chosen = settings.load()
    assert chosen.hello_experiment_name.endswith("-hello") and 1 <= chosen.max_nodes <= 1000
    assert chosen.gpu_vm_size == "Standard_NC4as_T4_v3"
    assert set(vars(chosen)) == set(settings.Settings.__dataclass_fields__)


@pytest.mark.slow
def test_a_name_edited_in_the_settings_reaches_the_submission(project_copy, offline):
    env, _ = offline
    path = project_copy / ".azureml" / "settings.yml"
    text = path.read_text()
    path.write_text(text.replace("experiment_name: ", 'experiment_name: "edited-later" #', 1))
    result = run_script("04-run-pytorch.py", "--dry-run", cwd=project_copy, env=env)
    assert result.returncode == 0, result.stderr
    # the experiment the job goes to is the edited one: the dry run's line of it (v1 `experiment:`, v2's YAML
    # `experiment_name:`) holds that value, and the old name is gone
    assert re.findall(r"^experiment(?:_name)?:\s+(\S+)$", result.stdout, re.M) == ["edited-later"]
    assert settings.load().experiment_name not in result.stdout


def test_preflight_reads_the_workspace_config_once_and_hands_it_on(project_copy, monkeypatch):
    write_config(project_copy)
    reads = []
    monkeypatch.setattr(settings, "ROOT", project_copy)
    monkeypatch.setattr(preflight, "read_config", lambda: reads.append(1) or settings.read_config(project_copy))
    path, config = preflight.check(compute="cpu-cluster")
    assert reads == [1] and path == project_copy / ".azureml" / "config.json" and config["workspace_name"] == "ws1"
    assert preflight.check(workspace=False) is None and reads == [1]


@pytest.mark.parametrize("hours", ["0", "-2", "two", "nan", "inf", "0.0001"])
def test_a_time_limit_that_is_not_a_positive_number_of_hours_stops_with_one_line(hours):
    line = f"error: --max-hours {hours!r} is not a positive number of hours"
    with pytest.raises(SystemExit) as training:
        arguments.submission_arguments("test", ["--max-hours", hours])
    assert str(training.value).splitlines()[0] == line and "fix: give the job's time limit" in str(training.value)
    with pytest.raises(SystemExit) as hello:
        script("03-run-hello.py")["main"](["--max-hours", hours])
    assert str(hello.value).splitlines()[0] == line


def test_every_job_has_a_time_limit_by_default_and_the_cluster_plan_comes_from_the_settings():
    assert arguments.submission_arguments("test", []).max_seconds == 2 * 3600
    assert arguments.submission_arguments("test", ["--max-hours", "1.5"]).max_seconds == 5400
    assert costs.hours(settings.HELLO_MAX_HOURS) == 600  # 10 minutes
    chosen = settings.load()
    planned = costs.planned(chosen.compute_name)
    assert (planned.vm_size, planned.max_nodes, planned.priority, planned.idle_seconds) == (
        chosen.vm_size,
        chosen.max_nodes,
        "dedicated",
        settings.IDLE_SECONDS_BEFORE_SCALEDOWN,
    )
    if chosen.compute_name != settings.GPU_COMPUTE_NAME:  # else 02's --gpu cluster would be the chosen one
        assert costs.planned(settings.GPU_COMPUTE_NAME).vm_size == chosen.gpu_vm_size
    assert [costs.priority(name) for name in ("dedicated", "lowpriority", "low_priority", "LowPriority")] == [
        "dedicated",
        "low priority",
        "low priority",
        "low priority",
    ]


def test_the_config_search_goes_up_to_the_folder_its_variable_names_and_no_further(tmp_path, monkeypatch):
    above = tmp_path / "above"
    project = above / "here" / "project"
    project.mkdir(parents=True)
    (above / ".azureml").mkdir()
    (above / ".azureml" / "config.json").write_text("{}")
    monkeypatch.delenv(settings.CONFIG_SEARCH_STOP, raising=False)
    assert settings.find_config(project) == above / ".azureml" / "config.json"  # as Workspace.from_config() finds it
    monkeypatch.setenv(settings.CONFIG_SEARCH_STOP, str(above / "here"))
    assert settings.find_config(project) is None
    monkeypatch.setenv(settings.CONFIG_SEARCH_STOP, str(above))
    assert settings.find_config(project) == above / ".azureml" / "config.json"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["04-run-pytorch.py", "06-run-pytorch-data.py"])
def test_gpu_alone_runs_on_the_gpu_cluster_and_the_dry_run_shows_its_size_and_price(name, project_copy, offline):
    out = dry_run(name, project_copy, offline, "--gpu")
    chosen = settings.load()
    gpu = settings.GPU_COMPUTE_NAME
    if chosen.compute_name != gpu:  # else the settings' own cluster is named gpu-cluster, with their VM size
        assert f"  cluster:     {gpu}: {chosen.gpu_vm_size}, 0 to {chosen.max_nodes} nodes" in out
        assert "  price class: GPU (N-series, NVIDIA)" in out
        idle = settings.GPU_IDLE_SECONDS_BEFORE_SCALEDOWN
        assert f"idle nodes are removed after {costs.duration(idle)} ({idle} s)" in out  # sooner than a CPU node's
    assert re.findall(r"^compute:\s+(?:azureml:)?(\S+)$", out, re.M) == [gpu]  # v1's line, v2's job YAML
    cpu = dry_run(name, project_copy, offline)
    assert re.findall(r"^compute:\s+(?:azureml:)?(\S+)$", cpu, re.M) == [chosen.compute_name]
    assert "  price class: CPU" in cpu


def test_a_gpu_size_scales_down_sooner_and_is_priced_as_a_gpu():
    assert costs.is_gpu_size("Standard_NC4as_T4_v3") and costs.is_gpu_size("standard_nd96asr_v4")
    assert not costs.is_gpu_size("STANDARD_D2_V2") and not costs.is_gpu_size("Standard_E4s_v3")
    assert costs.idle_seconds("Standard_NC4as_T4_v3") == settings.GPU_IDLE_SECONDS_BEFORE_SCALEDOWN
    assert costs.idle_seconds("STANDARD_D2_V2") == settings.IDLE_SECONDS_BEFORE_SCALEDOWN
    assert settings.GPU_IDLE_SECONDS_BEFORE_SCALEDOWN < settings.IDLE_SECONDS_BEFORE_SCALEDOWN


@pytest.mark.slow
@pytest.mark.parametrize("name", ["04-run-pytorch.py", "06-run-pytorch-data.py"])
def test_resume_from_shows_the_earlier_runs_checkpoint_folder_as_input_beside_its_own(name, project_copy, offline):
    out = dry_run(name, project_copy, offline, "--resume-from", "run_before_1")
    assert "checkpoints/run_before_1" in out  # the earlier run's folder, only read
    assert re.search(r"checkpoints/(\{run-id\}|\$\{\{name\}\})", out)  # the new run's own (v1, v2)
    (project_copy / ".azureml" / "last-run.txt").write_text("run_submitted_last\n")
    assert "checkpoints/run_submitted_last" in dry_run(name, project_copy, offline, "--resume-from", "last")


def test_resume_from_last_without_a_submitted_run_or_with_a_bad_id_stops_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(remote_error, "LAST_RUN_FILE", tmp_path / "last-run.txt")
    with pytest.raises(SystemExit) as none:
        arguments.submission_arguments("test", ["--resume-from", "last"])
    assert str(none.value).startswith("error: no run submitted from this folder yet")
    assert "python 04-run-pytorch.py --resume-from RUN_ID" in str(none.value)
    with pytest.raises(SystemExit) as bad:
        arguments.submission_arguments("test", ["--resume-from", "../other"])
    assert bad.value.code == 2  # argparse's usage error, which names the rule


@pytest.mark.slow
def test_a_train_flag_misplaced_or_misspelt_is_caught_before_anything_is_submitted(project_copy, offline):
    env, network_log = offline
    misplaced = run_script("04-run-pytorch.py", "--dry-run", "--epochs", "5", cwd=project_copy, env=env)
    assert misplaced.returncode == 2 and "Traceback" not in misplaced.stderr
    assert misplaced.stderr.strip().endswith(
        "unrecognized arguments: --epochs 5. Flags for train.py go after --, as in: "
        "python 04-run-pytorch.py --dry-run -- --epochs 5"
    )
    given = misplaced.stderr.strip().split("as in: python 04-run-pytorch.py ")[1].split()
    pasted = run_script("04-run-pytorch.py", *given, cwd=project_copy, env=env)  # the command it gives runs
    assert pasted.returncode == 0, pasted.stderr
    assert re.search(r"^(arguments|command):.* --epochs 5$", pasted.stdout, re.M)  # v1's line, v2's job YAML
    misspelt = run_script("06-run-pytorch-data.py", "--dry-run", "--", "--epohcs", "5", cwd=project_copy, env=env)
    assert misspelt.returncode == 1 and misspelt.stderr.splitlines() == [
        "error: train.py would refuse its flags: unrecognized arguments: --epohcs 5",
        "fix: check them with python src/train.py --help, then run again",
    ]
    assert not network_log.exists() and misspelt.stdout == ""  # before pre-flight, before any upload


# Loaded by a script's Python (sitecustomize): every host name fails to resolve, or resolves to a closed local port
NO_DNS = (
    "import socket\n\ndef _fail(*args, **kwargs):\n"
    "    raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')\n\nsocket.getaddrinfo = _fail\n"
)
NO_CONNECTION = (
    "import socket\n\n_real = socket.getaddrinfo\n\n"
    "def _closed(host, port, *args, **kwargs):\n    return _real('127.0.0.1', 9, *args, **kwargs)\n\n"
    "socket.getaddrinfo = _closed\n"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "hook, why",
    [
        (NO_DNS, "the name of its host could not be looked up: no network, or no DNS"),
        (NO_CONNECTION, "the connection failed: no network, or a proxy or firewall in the way"),
    ],
)
def test_no_network_is_told_apart_from_a_refused_login(project_copy, tmp_path, hook, why):
    write_config(project_copy)
    (tmp_path / "hook").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(hook)
    env = {**FAKE_SERVICE_PRINCIPAL, "PYTHONPATH": str(tmp_path / "hook")}
    result = run_script("03-run-hello.py", "--timeout", "30", cwd=project_copy, env=env, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "WARNING" not in result.stderr
    assert result.stderr.splitlines() == [
        "error: logging in (service principal from AZURE_CLIENT_ID) and connecting to workspace 'ws1' failed: "
        f"Azure could not be reached ({why})",
        f"fix: {messages.NETWORK_FIX}",
    ]


def test_a_login_that_azure_refused_keeps_the_logins_own_fix():
    refused = RuntimeError("AADSTS7000215: Invalid client secret provided.")  # Azure answered: a wrong secret
    with pytest.raises(SystemExit) as stop:
        messages.bounded(lambda: (_ for _ in ()).throw(refused), 10, "logging in", "check AZURE_CLIENT_SECRET")
    assert str(stop.value) == "error: logging in failed: AADSTS7000215: Invalid client secret provided.\n" + (
        "fix: check AZURE_CLIENT_SECRET"
    )
    assert messages.network_failure(refused) is None
    wrapped = RuntimeError("login failed")
    wrapped.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert messages.network_failure(wrapped).startswith("the connection failed")


@pytest.mark.parametrize(
    "given, own, misplaced, after",
    [
        (["--epochs", "10", "--dry-run"], ["--dry-run"], ["--epochs", "10"], []),
        (["--dry-run", "--epochs", "10", "--", "--lr", "0.01"], ["--dry-run"], ["--epochs", "10"], ["--lr", "0.01"]),
        (["--gpu", "--epochs=3", "--wait"], ["--gpu", "--wait"], ["--epochs=3"], []),
        (["--compute", "gpu-cluster", "--seed", "1"], ["--compute", "gpu-cluster"], ["--seed", "1"], []),
    ],
)
def test_train_flags_given_before_the_double_dash_are_told_apart_from_the_scripts_own(given, own, misplaced, after):
    unknown = [word.split("=")[0] for word in misplaced if word.startswith("--")]
    assert arguments.split_misplaced(given, unknown) == (own, misplaced, after)


@pytest.mark.slow
def test_create_workspace_checks_the_names_before_it_logs_in(project_copy, offline):
    env, network_log = offline
    flags = ["--subscription-id", "<id>", "--resource-group", "rg", "--workspace-name", "ws1", "--region", "eastus"]
    result = run_script("01-create-workspace.py", *flags, cwd=project_copy, env={**env, **NO_LOGIN})
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stdout == ""
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("01-create-workspace.py: error: --subscription-id '<id>': use ")
    )
    assert not network_log.exists()
