"""Logging in and reaching the workspace with azureml-core: a service principal, the Azure CLI, or a device code."""

import json
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime

from aml.messages import bounded
from aml.settings import (
    CONFIG_VARIABLES,
    SIGN_IN_TIMEOUT_S,
    TIMEOUT_S,
    config_subscription,
    login_fix,
    no_login,
    read_config,
    service_principal,
    workspace_name,
)

TOKEN_MARGIN_S = 300  # an Azure CLI token is asked for again this long before it expires


def connect(workspace=None, timeout=TIMEOUT_S):
    """The Workspace that `workspace` (read_config()'s answer; None: read it now) names, within `timeout` seconds."""
    from azureml.core import Workspace

    path, config = workspace or read_config()
    name = workspace_name(config)
    auth, how = authentication(timeout, subscription=config_subscription(config))
    print(f"Connecting to workspace {name!r} ({how}) ...", flush=True)
    if path is None:
        where = ", ".join(CONFIG_VARIABLES.values())

        def reach():
            return Workspace.get(
                name,
                auth=auth,
                subscription_id=config["subscription_id"],
                resource_group=config["resource_group"],
            )
    else:
        where = path

        def reach():
            return Workspace.from_config(path=str(path), auth=auth)

    return bounded(
        reach,
        timeout,
        f"logging in ({how}) and connecting to workspace {name!r}",
        f"{login_fix(how)}, and check the names in {where}",
    )


def authentication(timeout=TIMEOUT_S, subscription=None):
    """Pick the login, non-interactive first: a service principal, then the Azure CLI's login, then a device code."""
    from azureml.core.authentication import (
        InteractiveLoginAuthentication,
        ServicePrincipalAuthentication,
        TokenAuthentication,
    )

    principal = service_principal()
    if principal:
        return ServicePrincipalAuthentication(
            tenant_id=principal["AZURE_TENANT_ID"],
            service_principal_id=principal["AZURE_CLIENT_ID"],
            service_principal_password=principal["AZURE_CLIENT_SECRET"],
        ), "service principal from AZURE_CLIENT_ID"
    az = shutil.which("az")
    if az:
        return TokenAuthentication(AzureCliTokens(az, subscription, timeout)), "Azure CLI login"
    if sys.stdin is not None and sys.stdin.isatty():
        print(f"Waiting up to {SIGN_IN_TIMEOUT_S / 60:g} minutes for you to sign in (device code) ...", flush=True)
        return bounded(  # the SDK signs in as it makes the object: a browser if there is one, else a device code
            InteractiveLoginAuthentication,
            SIGN_IN_TIMEOUT_S,
            "waiting for you to sign in (device code)",
            f"run again and sign in within {SIGN_IN_TIMEOUT_S / 60:g} minutes, or log in first with "
            "'az login --use-device-code'",
        ), "device code"
    no_login()


class AzureCliTokens:
    """The Azure CLI's access tokens, one per audience, each kept until shortly before it expires."""

    def __init__(self, az, subscription=None, timeout=TIMEOUT_S):
        self.az, self.subscription, self.timeout = az, subscription, timeout
        self.tokens = {}  # audience: (token, expiry in time.time() seconds)
        self.lock = threading.Lock()

    def __call__(self, audience):
        """The token for `audience` (TokenAuthentication asks before each request): az runs only when it is stale."""
        with self.lock:
            token, expires = self.tokens.get(audience, (None, 0.0))
            if time.time() >= expires - TOKEN_MARGIN_S:
                token, expires = azure_cli_token(self.az, audience, self.timeout, self.subscription)
                self.tokens[audience] = (token, expires)
            return token


def azure_cli_token(az, audience, timeout=TIMEOUT_S, subscription=None):
    """An access token for `audience` and when it expires, from the Azure CLI's login (outside the environment)."""
    command = [az, "account", "get-access-token", "--resource", audience, "--output", "json"]
    try:
        result = subprocess.run(
            command + (["--subscription", subscription] if subscription else []),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the Azure CLI gave no token within {timeout:g} s") from None
    if result.returncode != 0:
        raise RuntimeError("the Azure CLI is not logged in (" + (result.stderr.strip().splitlines() or ["?"])[-1] + ")")
    answer = json.loads(result.stdout)
    if "expires_on" in answer:  # seconds since 1970 (Azure CLI 2.54 and later)
        expires = float(answer["expires_on"])
    else:  # older CLIs: local time, as 2024-01-31 12:34:56.789012
        expires = datetime.strptime(answer["expiresOn"], "%Y-%m-%d %H:%M:%S.%f").timestamp()
    return answer["accessToken"], expires
