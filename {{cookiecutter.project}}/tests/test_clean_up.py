"""99-clean-up.py with either SDK: what it would delete (offline), its confirmation, the resource group's deletion."""

import os
import subprocess
import sys

from aml import cleanup, settings

import pytest
from conftest import pseudo_terminal, run_script
from script_helpers import write_config

CHOSEN = settings.load()
CLUSTERS = ", ".join(dict.fromkeys([CHOSEN.compute_name, settings.GPU_COMPUTE_NAME]))  # each cluster once


def run_in_terminal(project, *args, typed, env):
    """Run 99-clean-up.py with a terminal as its input, where a person has typed `typed`."""
    terminal, person = pseudo_terminal()
    os.write(terminal, typed.encode() + b"\n")
    try:
        return subprocess.run(
            [sys.executable, str(project / "99-clean-up.py"), *args],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=person,
            env={**os.environ, **env},
        )
    finally:
        os.close(terminal)
        os.close(person)


@pytest.mark.slow
def test_dry_run_says_what_would_be_deleted_and_contacts_nothing(project_copy, offline):
    env, network_log = offline
    write_config(project_copy)
    result = run_script("99-clean-up.py", "--dry-run", cwd=project_copy, env=env)
    assert result.returncode == 0, result.stderr
    assert f"Deletes the compute cluster(s) {CLUSTERS} of workspace 'ws1'" in result.stdout
    assert "Dry run: nothing was contacted or deleted." in result.stdout
    assert billed(result.stdout) == list(cleanup.WORKSPACE_PARTS)  # each part that still costs once they are gone
    result = run_script("99-clean-up.py", "--dry-run", "--resource-group", cwd=project_copy, env=env)
    assert result.returncode == 0, result.stderr
    assert "Deletes resource group 'rg' and everything in it: workspace 'ws1', its clusters, and" in result.stdout
    assert billed(result.stdout) == list(cleanup.WORKSPACE_PARTS) and "cannot be undone" in result.stdout
    assert cleanup.LOG_ANALYTICS_LEFT in result.stdout  # what the group's deletion leaves, said plainly
    assert not network_log.exists()


def billed(printed):
    """The parts of the workspace (cleanup.WORKSPACE_PARTS' kinds) that the printed list names, in its order."""
    labels = {label: kind for kind, (label, _) in cleanup.WORKSPACE_PARTS.items()}
    return [labels[line[4:].split(":")[0]] for line in printed.splitlines() if line.startswith("  - ")]


@pytest.mark.slow
def test_without_a_terminal_or_yes_it_stops_before_any_network_call_asking_for_yes(project_copy, offline):
    env, network_log = offline
    write_config(project_copy)
    result = run_script("99-clean-up.py", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: 99-clean-up.py asks before it deletes, and there is no terminal")
    assert result.stderr.rstrip().endswith("fix: pass --yes to delete")
    assert not network_log.exists()


@pytest.mark.slow
def test_without_a_workspace_config_it_names_the_fix(project_copy, offline):
    env, network_log = offline
    result = run_script("99-clean-up.py", "--yes", cwd=project_copy, env=env)
    assert result.returncode == 1 and result.stderr.startswith("error: no workspace config")
    assert "01-create-workspace.py" in result.stderr and not network_log.exists()


def fake_az(folder, answer=0):
    """An `az` that logs its arguments and ends with `answer` (the real one needs the network)."""
    az, log = folder / "az", folder / "az.log"
    az.write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\n'
        + ("echo 'ERROR: (AuthorizationFailed) no right' >&2\n" if answer else "")
        + f"exit {answer}\n"
    )
    az.chmod(0o755)
    return log


@pytest.mark.slow
def test_the_resource_group_is_deleted_with_the_azure_cli_once_its_name_is_typed(project_copy, offline, tmp_path):
    env, network_log = offline
    write_config(project_copy)
    log = fake_az(tmp_path)
    env = {**env, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = run_in_terminal(project_copy, "--resource-group", typed="ws1", env=env)
    assert result.returncode == 1 and "error: nothing deleted: the answer was not 'rg'" in result.stderr
    assert not log.exists()
    result = run_in_terminal(project_copy, "--resource-group", typed="rg", env=env)
    assert result.returncode == 0, result.stderr
    assert "Type rg to delete resource group 'rg' and everything in it: " in result.stdout
    subscription = "01234567-89ab-cdef-0123-456789abcdef"
    assert log.read_text() == f"group delete --name rg --yes --no-wait --subscription {subscription}\n"
    assert "Azure is deleting resource group 'rg'" in result.stdout
    assert not network_log.exists()


@pytest.mark.slow
def test_a_refused_resource_group_deletion_gives_one_message(project_copy, offline, tmp_path):
    env, _ = offline
    write_config(project_copy)
    fake_az(tmp_path, answer=1)
    env = {**env, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = run_script("99-clean-up.py", "--resource-group", "--yes", cwd=project_copy, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: deleting resource group 'rg' failed: ERROR: (AuthorizationFailed) no right")
    assert "az login" in result.stderr


@pytest.mark.slow
def test_a_dry_run_needs_no_workspace_config_and_says_what_it_would_delete(project_copy, offline):
    env, network_log = offline
    result = run_script("99-clean-up.py", "--dry-run", cwd=project_copy, env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.startswith("No .azureml/config.json yet: a dry run says what would be deleted")
    assert f"Deletes the compute cluster(s) {CLUSTERS} of workspace" in result.stdout
    assert billed(result.stdout) == list(cleanup.WORKSPACE_PARTS) and not network_log.exists()
