"""An MLClient for the workspace, logged in with azure-identity: a service principal, the Azure CLI, or a device
code. SDK v2's login (aml/login.py), and 08-deploy.py's whichever the SDK: managed online endpoints are v2's alone."""

import logging
import shutil
import sys

from aml.messages import bounded, fail, summary
from aml.settings import (
    CONFIG_VARIABLES,
    SIGN_IN_TIMEOUT_S,
    SUBMIT_TIMEOUT_S,
    TIMEOUT_S,
    config_subscription,
    login_fix,
    no_login,
    read_config,
    service_principal,
    workspace_name,
)


def connect(workspace=None, timeout=TIMEOUT_S):
    """An MLClient for the workspace `workspace` (read_config()'s answer; None: read it now) names, checked in time."""
    from azure.ai.ml import MLClient

    path, config = workspace or read_config()
    name = workspace_name(config)
    credential, how = authentication(timeout, subscription=config_subscription(config))
    print(f"Connecting to workspace {name!r} ({how}) ...", flush=True)
    # every request gives up on a connection after a quarter of the time, so its retries fit in it
    timeouts = {"connection_timeout": timeout / 4, "read_timeout": max(timeout, SUBMIT_TIMEOUT_S)}
    if path is None:
        where = ", ".join(CONFIG_VARIABLES.values())
        client = MLClient(
            credential,
            subscription_id=config["subscription_id"],
            resource_group_name=config["resource_group"],
            workspace_name=name,
            **timeouts,
        )
    else:
        where = path
        logging.getLogger("azure.ai.ml._ml_client").setLevel(logging.WARNING)  # its "Found the config file" note
        try:
            client = MLClient.from_config(credential, path=str(path), **timeouts)
        except Exception as err:  # the SDK's own reading of the file, offline
            fail(f"{path} does not name a workspace: {summary(err)}", "download config.json again from Azure ML Studio")
    bounded(
        lambda: client.workspaces.get(name),
        timeout + (SIGN_IN_TIMEOUT_S if how == "device code" else 0),  # a person signs in first
        f"logging in ({how}) and connecting to workspace {name!r}",
        f"{login_fix(how)}, and check the names in {where}",
    )
    return client


def authentication(timeout=TIMEOUT_S, subscription=None):
    """Pick the login, non-interactive first: a service principal, then the Azure CLI's login, then a device code."""
    from azure.identity import AzureCliCredential, ClientSecretCredential, DeviceCodeCredential

    logging.getLogger("azure.identity").setLevel(logging.ERROR)  # a failed login is reported once, with the fix

    principal = service_principal()
    if principal:
        return ClientSecretCredential(
            principal["AZURE_TENANT_ID"],
            principal["AZURE_CLIENT_ID"],
            principal["AZURE_CLIENT_SECRET"],
            connection_timeout=timeout,
        ), "service principal from AZURE_CLIENT_ID"
    if shutil.which("az"):  # the Azure CLI's login (the CLI stays outside the training environment)
        return AzureCliCredential(process_timeout=timeout, subscription=subscription), "Azure CLI login"
    if sys.stdin is not None and sys.stdin.isatty():
        print(f"Waiting up to {SIGN_IN_TIMEOUT_S / 60:g} minutes for you to sign in (device code) ...", flush=True)
        return DeviceCodeCredential(timeout=SIGN_IN_TIMEOUT_S, connection_timeout=timeout), "device code"
    no_login()
