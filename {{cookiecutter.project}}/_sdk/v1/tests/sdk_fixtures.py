"""The SDK v1 tests' own fixtures (imported by conftest.py): a workspace that the project's own code reaches, with
only Azure's side (Workspace.from_config's request) standing in."""

import json
from types import SimpleNamespace

import pytest

__all__ = ["reached_workspace"]


@pytest.fixture
def reached_workspace(monkeypatch, tmp_path):
    """A workspace config in a project folder of tmp_path, read by the project's read_config; a service principal's
    login; and Azure's answers: to Workspace.from_config, the SDK's Workspace of that config, and Azure AD's token.
    .reached records each (config path, authentication); .workspace() makes the Workspace."""
    from aml import cleanup, login, preflight, settings, submission

    from azure_answers import REGION
    from azureml.core import Workspace
    from azureml.core.authentication import ServicePrincipalAuthentication
    from script_helpers import FAKE_SERVICE_PRINCIPAL, SUBSCRIPTION  # (it imports conftest, which imports this)

    folder = tmp_path / "workspace-project"
    (folder / ".azureml").mkdir(parents=True)
    config = {"subscription_id": SUBSCRIPTION, "resource_group": "rg", "workspace_name": "ws1"}
    (folder / ".azureml" / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv(settings.CONFIG_SEARCH_STOP, str(tmp_path))
    for module in (preflight, cleanup, submission, login):  # the project's own reading, of this folder's config
        monkeypatch.setattr(module, "read_config", lambda: settings.read_config(folder))
    for name, value in FAKE_SERVICE_PRINCIPAL.items():
        monkeypatch.setenv(name, value)
    reached = []

    def workspace(auth=None):
        """The SDK's Workspace of that config, in its region, as Azure describes it."""
        return Workspace(
            SUBSCRIPTION, "rg", "ws1", auth=auth or sp_auth(), _location=REGION, _disable_service_check=True
        )

    def from_config(path=None, auth=None, **kwargs):  # the SDK's request to Azure for the workspace, answered
        reached.append((path, type(auth).__name__))
        return workspace(auth)

    monkeypatch.setattr(Workspace, "from_config", staticmethod(from_config))
    # Azure AD's token for the service principal, which the SDK's requests carry
    monkeypatch.setattr(ServicePrincipalAuthentication, "get_authentication_header", lambda self: BEARER)
    return SimpleNamespace(reached=reached, config=str(folder / ".azureml" / "config.json"), workspace=workspace)


BEARER = {"Authorization": "Bearer t"}


def sp_auth():
    """The SDK's login of a service principal (the tests' made-up one)."""
    from azureml.core.authentication import ServicePrincipalAuthentication

    return ServicePrincipalAuthentication("tenant", "client", "secret")
