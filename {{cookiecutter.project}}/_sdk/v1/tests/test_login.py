"""Logging in with azureml-core: a service principal, then the Azure CLI's tokens, then a device code."""

import time

from aml import login

import pytest
from script_helpers import SUBSCRIPTION, assert_service_principal_comes_first, cli_logged_out_error, fake_az, write_az


@pytest.mark.slow
def test_azure_cli_that_is_not_logged_in_is_reported(project_copy, offline, tmp_path):
    stderr = cli_logged_out_error(project_copy, offline, tmp_path)
    assert "(Azure CLI login)" in stderr and "the Azure CLI is not logged in" in stderr
    assert "az login --use-device-code" in stderr


def test_login_chain_prefers_a_service_principal_then_the_azure_cli(monkeypatch, tmp_path):
    from azureml.core.authentication import ServicePrincipalAuthentication, TokenAuthentication

    assert_service_principal_comes_first(monkeypatch, login.authentication, ServicePrincipalAuthentication)
    az = write_az(tmp_path, "echo '{\"accessToken\": \"token-for-'$4'\", \"expires_on\": 4070908800}'\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    auth, how = login.authentication()
    assert isinstance(auth, TokenAuthentication) and how == "Azure CLI login"
    assert login.azure_cli_token(str(az), "https://management.azure.com/") == (
        "token-for-https://management.azure.com/",
        4070908800,
    )


def test_azure_cli_token_is_asked_for_once_per_audience_until_it_expires(tmp_path, monkeypatch):
    from azureml.core.authentication import Audience, TokenAuthentication

    az_log = fake_az(tmp_path, lifetime_s=login.TOKEN_MARGIN_S + 4)  # stale 4 s from now
    auth = TokenAuthentication(login.AzureCliTokens(str(tmp_path / "az"), SUBSCRIPTION, timeout=30))
    first = auth.get_token(Audience.ARM)
    assert auth.get_token(Audience.ARM) == first and len(az_log.read_text().splitlines()) == 1
    assert auth.get_token(Audience.AZUREML) != first and len(az_log.read_text().splitlines()) == 2
    now = time.time()
    monkeypatch.setattr(login.time, "time", lambda: now + 5)  # 5 s later, by the clock the cache reads
    assert auth.get_token(Audience.ARM) != first
    calls = az_log.read_text().splitlines()
    assert len(calls) == 3 and calls[0] == calls[2] != calls[1]
    assert all(call.startswith("account get-access-token --resource https://") for call in calls)
    assert all(call.endswith(f"--subscription {SUBSCRIPTION}") for call in calls)
