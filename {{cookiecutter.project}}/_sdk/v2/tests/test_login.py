"""Logging in with azure-identity: a service principal, then the Azure CLI's login, then a device code."""

import sys

from aml import login, settings

import pytest
from conftest import run_script
from script_helpers import (
    FAKE_SERVICE_PRINCIPAL,
    SUBSCRIPTION,
    assert_service_principal_comes_first,
    cli_logged_out_error,
    fake_az,
    without_service_principal,
    write_az,
)


@pytest.mark.slow
def test_azure_cli_that_is_not_logged_in_is_reported(project_copy, offline, tmp_path):
    stderr = cli_logged_out_error(project_copy, offline, tmp_path)
    assert stderr.startswith("error: logging in (Azure CLI login) and connecting to workspace 'ws1' failed")
    assert "az login" in stderr.splitlines()[0] and "az login --use-device-code" in stderr


def test_login_chain_prefers_a_service_principal_then_the_azure_cli(monkeypatch, tmp_path):
    from azure.identity import AzureCliCredential, ClientSecretCredential

    assert_service_principal_comes_first(monkeypatch, login.authentication, ClientSecretCredential)
    write_az(  # answers as a logged-in CLI does, repeating what it was asked
        tmp_path,
        'echo "{\\"accessToken\\": \\"token for $*\\", \\"expiresOn\\": \\"2099-01-01 00:00:00.000000\\", '
        '\\"expires_on\\": 4070908800, \\"tokenType\\": \\"Bearer\\"}"\n',
    )
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

    without_service_principal(monkeypatch)
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
