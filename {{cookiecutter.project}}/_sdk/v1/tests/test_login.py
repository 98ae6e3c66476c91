"""Logging in with azureml-core: a service principal, then the Azure CLI's tokens, then a device code."""

import os
import time

from aml import login

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
    assert "(Azure CLI login)" in result.stderr and "the Azure CLI is not logged in" in result.stderr
    assert "az login --use-device-code" in result.stderr


def test_login_chain_prefers_a_service_principal_then_the_azure_cli(monkeypatch, tmp_path):
    from azureml.core.authentication import ServicePrincipalAuthentication, TokenAuthentication

    for name, value in FAKE_SERVICE_PRINCIPAL.items():
        monkeypatch.setenv(name, value)
    auth, how = login.authentication()
    assert isinstance(auth, ServicePrincipalAuthentication) and how.startswith("service principal")
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    with pytest.raises(SystemExit, match="only AZURE_TENANT_ID, AZURE_CLIENT_ID of the service principal"):
        login.authentication()
    for name in FAKE_SERVICE_PRINCIPAL:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "az").write_text(
        "#!/bin/sh\necho '{\"accessToken\": \"token-for-'$4'\", \"expires_on\": 4070908800}'\n"
    )
    (tmp_path / "az").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    auth, how = login.authentication()
    assert isinstance(auth, TokenAuthentication) and how == "Azure CLI login"
    assert login.azure_cli_token(str(tmp_path / "az"), "https://management.azure.com/") == (
        "token-for-https://management.azure.com/",
        4070908800,
    )


def test_azure_cli_token_is_asked_for_once_per_audience_until_it_expires(tmp_path):
    from azureml.core.authentication import Audience, TokenAuthentication

    az_log = fake_az(tmp_path, lifetime_s=login.TOKEN_MARGIN_S + 4)  # stale 4 s from now
    auth = TokenAuthentication(login.AzureCliTokens(str(tmp_path / "az"), SUBSCRIPTION, timeout=30))
    first = auth.get_token(Audience.ARM)
    assert auth.get_token(Audience.ARM) == first and len(az_log.read_text().splitlines()) == 1
    assert auth.get_token(Audience.AZUREML) != first and len(az_log.read_text().splitlines()) == 2
    time.sleep(5)
    assert auth.get_token(Audience.ARM) != first
    calls = az_log.read_text().splitlines()
    assert len(calls) == 3 and calls[0] == calls[2] != calls[1]
    assert all(call.startswith("account get-access-token --resource https://") for call in calls)
    assert all(call.endswith(f"--subscription {SUBSCRIPTION}") for call in calls)
