"""Logging in with azure-identity: a service principal, then the Azure CLI's login, then a device code."""

import os
import sys

from aml import login, settings

import pytest
from conftest import run_script
from script_helpers import FAKE_SERVICE_PRINCIPAL, NO_LOGIN, SUBSCRIPTION, fake_az, write_config


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
    assert result.stderr.startswith("error: logging in (Azure CLI login) and connecting to workspace 'ws1' failed")
    assert "az login" in result.stderr.splitlines()[0] and "az login --use-device-code" in result.stderr


def test_login_chain_prefers_a_service_principal_then_the_azure_cli(monkeypatch, tmp_path):
    from azure.identity import AzureCliCredential, ClientSecretCredential

    for name, value in FAKE_SERVICE_PRINCIPAL.items():
        monkeypatch.setenv(name, value)
    credential, how = login.authentication()
    assert isinstance(credential, ClientSecretCredential) and how.startswith("service principal")
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    with pytest.raises(SystemExit, match="only AZURE_TENANT_ID, AZURE_CLIENT_ID of the service principal"):
        login.authentication()
    for name in FAKE_SERVICE_PRINCIPAL:
        monkeypatch.delenv(name, raising=False)
    az = tmp_path / "az"  # answers as a logged-in CLI does, repeating what it was asked
    az.write_text(
        '#!/bin/sh\necho "{\\"accessToken\\": \\"token for $*\\", \\"expiresOn\\": \\"2099-01-01 00:00:00.000000\\", '
        '\\"expires_on\\": 4070908800, \\"tokenType\\": \\"Bearer\\"}"\n'
    )
    az.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    credential, how = login.authentication()
    assert isinstance(credential, AzureCliCredential) and how == "Azure CLI login"
    token = credential.get_token("https://management.azure.com/.default")
    assert token.token.startswith("token for account get-access-token") and "management.azure.com" in token.token


@pytest.mark.slow
def test_a_config_the_sdk_cannot_read_gives_a_clear_message_before_any_network_call(project_copy, offline):
    env, network_log = offline
    (project_copy / ".azureml" / "config.json").write_text('{"Scope": "not-a-resource-id"}')
    result = run_script("02-create-compute.py", cwd=project_copy, env={**env, **FAKE_SERVICE_PRINCIPAL})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "config.json does not name a workspace" in result.stderr and "download config.json again" in result.stderr
    assert not network_log.exists()


def test_device_code_credential_waits_minutes_and_the_cli_login_names_the_subscription(monkeypatch, tmp_path, capsys):
    from azure.identity import AzureCliCredential, DeviceCodeCredential

    class Terminal:
        def isatty(self):
            return True

    for name in FAKE_SERVICE_PRINCIPAL:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", Terminal())
    credential, how = login.authentication(timeout=60, subscription=SUBSCRIPTION)
    assert isinstance(credential, DeviceCodeCredential) and how == "device code"
    assert credential._timeout == settings.SIGN_IN_TIMEOUT_S == 300  # the person's time, not the network's 60 s
    assert "Waiting up to 5 minutes for you to sign in" in capsys.readouterr().out
    az_log = fake_az(tmp_path)
    credential, how = login.authentication(timeout=60, subscription=SUBSCRIPTION)
    assert isinstance(credential, AzureCliCredential)
    credential.get_token("https://management.azure.com/.default")
    assert f"--subscription {SUBSCRIPTION}" in az_log.read_text()
