"""The control scripts: an offline dry run of the submission, and clear messages when a workspace cannot be reached."""
import json
import subprocess
import sys
import time

import pytest

import aml_project
from conftest import run_script


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
    assert f"compute:      {aml_project.COMPUTE_NAME}" in out and f"experiment:   {aml_project.EXPERIMENT}" in out
    assert f"environment:  {aml_project.ENV_NAME}" in out and "- conda-forge" in out and "azureml-core" in out
    listed = [line.split()[-1] for line in out.split("snapshot:")[1].splitlines()[1:]]
    assert sorted(listed) == sorted([".amlignore", "data.py", "hello.py", "model.py", "notes.txt", "runtime.py",
                                     "train.py"])


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
    config = {"subscription_id": "01234567-89ab-cdef-0123-456789abcdef", "resource_group": "rg",
              "workspace_name": "ws1"}
    (project_copy / ".azureml" / "config.json").write_text(json.dumps(config))
    started = time.monotonic()
    result = run_script("04-run-pytorch.py", cwd=project_copy, env=env, timeout=aml_project.TIMEOUT_S + 30)
    assert time.monotonic() - started < aml_project.TIMEOUT_S + 15
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: logging in and connecting to workspace 'ws1' failed" in result.stderr
    assert "az login --use-device-code" in result.stderr
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
def test_control_scripts_without_azureml_core_say_how_to_install_it(project_copy):
    code = ("import runpy, sys; sys.modules['azureml'] = None; sys.path.insert(0, '.'); "
            "sys.argv = ['04-run-pytorch.py', '--dry-run']; runpy.run_path('04-run-pytorch.py', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], cwd=project_copy, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: azureml-core (the Azure ML SDK v1) is not installed")
    assert "conda env create -f .azureml/pytorch-env.yml" in result.stderr
