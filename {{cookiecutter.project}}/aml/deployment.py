"""The managed online endpoint of 08-deploy.py, with azure-ai-ml whichever the project's SDK: its flags, its entities
(endpoint, deployment, environment, code), creating it and calling it (aml/endpoints.py lists and deletes them)."""

import argparse
import copy
import hashlib
import json
import logging
import tempfile
from pathlib import Path

from aml import costs, downloads, names, serving, settings
from aml.lock_files import SERVING_LOCK, with_locked_pip
from aml.messages import bounded, fail
from aml.preflight import check_environment, read_lock, with_local_imports
from aml.settings import SOURCE_DIR

DEPLOYMENT_NAME = "blue"  # Azure ML's name for a first deployment (a second, "green", can take over its traffic)
ENDPOINT_PREFIX = "cifar10-"  # + a hash of the workspace: an endpoint's name must be unique in its region
CREATE_TIMEOUT_S = 600  # for Azure to create the endpoint (its address and keys)
DEPLOY_TIMEOUT_S = 3600  # for Azure to build the serving image and start the deployment's instances
INVOKE_TIMEOUT_S = 90  # for the endpoint's answer to one request
SDK_NEEDED = "azure-ai-ml and azure-identity (managed online endpoints are the Azure ML SDK v2's)"
INSTALL = "pip install azure-ai-ml azure-identity"


def require_sdk_v2():
    """Stop with the install step when azure-ai-ml or azure-identity is missing (a v1 project has neither at first)."""
    try:
        import azure.ai.ml  # noqa: F401
        import azure.identity  # noqa: F401
    except ImportError:
        fail(f"{SDK_NEEDED} are not installed in this Python", INSTALL)


def arguments(description, argv=None):
    """08's flags: what to do (deploy, --dry-run, --invoke IMAGE, --delete), the names and the instances."""
    parser = argparse.ArgumentParser(
        description=description,
        epilog="SDK v1 has no managed online endpoints: a v1 project deploys with azure-ai-ml too (" + INSTALL + ").",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--dry-run", action="store_true", help="show the endpoint and deployment and their cost, offline")
    what.add_argument("--invoke", nargs="+", metavar="IMAGE", help="send pictures to the endpoint, print its answers")
    what.add_argument("--delete", action="store_true", help="delete the endpoint and its deployment (the cost stops)")
    parser.add_argument("--endpoint", help="the endpoint's name (default: cifar10- and a hash of the workspace's name)")
    parser.add_argument("--deployment", default=DEPLOYMENT_NAME, help=f"the deployment (default: {DEPLOYMENT_NAME})")
    model = downloads.MODEL_NAME  # 07's
    parser.add_argument("--model-name", default=model, help=f"the registered model (default: {model}, 07's)")
    parser.add_argument("--model-version", help="its version (default: the latest, looked up when deploying)")
    parser.add_argument(
        "--instance-type",
        default=costs.ENDPOINT_INSTANCE_TYPE,
        help=f"the VM size of the deployment's instances (default: {costs.ENDPOINT_INSTANCE_TYPE})",
    )
    parser.add_argument("--instance-count", type=int, default=1, help="instances (default: 1)")
    parser.add_argument(
        "--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for login and each look-up (default: 60)"
    )
    args = parser.parse_args(argv)
    checks = (("--endpoint", "endpoint_name"), ("--deployment", "deployment_name"), ("--model-name", "model_name"))
    for flag, rule_name in checks:
        value = getattr(args, flag[2:].replace("-", "_"))
        rule = value is not None and names.broken_rule(rule_name, value)
        if rule:
            fail(f"{flag} {value!r} breaks its rule", f"use {rule}")
    if args.model_version is not None and not (args.model_version.isdigit() and int(args.model_version) > 0):
        fail(f"--model-version {args.model_version!r} is not a version", "give a whole number, such as 3")
    rule = names.broken_rule("vm_size", args.instance_type)
    if rule:
        fail(f"--instance-type {args.instance_type!r} is not a VM size", f"use {rule}")
    if not 1 <= args.instance_count <= 20:
        fail(f"--instance-count {args.instance_count} is out of range", "give 1 to 20 instances")
    return args


def endpoint_name(config):
    """The default endpoint name: cifar10- and 8 hex digits of the workspace's subscription, group and name (an
    endpoint's name must be unique in its region, so two workspaces must not share it); None without a config."""
    if not config:
        return None
    parts = (config.get("subscription_id"), config.get("resource_group"), settings.workspace_name(config))
    where = "/".join(str(part or "").lower() for part in parts)
    return ENDPOINT_PREFIX + hashlib.sha256(where.encode()).hexdigest()[:8]


def config_if_any():
    """The workspace config's contents when there is one (a dry run needs none), else None."""
    try:
        return settings.read_config()[1]
    except SystemExit:
        return None


def check_serving():
    """Offline: the serving environment file names every package score.py and the files it imports need."""
    check_environment(serving.ENV_FILE, SOURCE_DIR, with_local_imports(serving.ENTRY_SCRIPT))


def endpoint_entity(name):
    """The endpoint: an address with key authentication."""
    from azure.ai.ml.entities import ManagedOnlineEndpoint

    return ManagedOnlineEndpoint(
        name=name, auth_mode="key", description="CIFAR-10 classifier: POST a picture (PNG, JPEG) or a JSON batch"
    )


def deployment_entity(args, endpoint, model):
    """The deployment: the registered model (azureml:NAME:VERSION), src/ with score.py, the serving environment on
    Azure ML's base image, the instances."""
    from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment

    return ManagedOnlineDeployment(
        name=args.deployment,
        endpoint_name=endpoint,
        model=model,
        environment=serving_environment(),
        code_configuration=CodeConfiguration(code=str(SOURCE_DIR), scoring_script=serving.ENTRY_SCRIPT),
        instance_type=args.instance_type,
        instance_count=args.instance_count,
    )


def serving_environment():
    """The serving environment on Azure ML's base image: its conda file, its pip list as the serving lock pins it
    for Linux on x86-64 (PyTorch's CPU build)."""
    from azure.ai.ml.entities import Environment

    conda = copy.deepcopy(Environment(image=settings.BASE_IMAGE, conda_file=str(serving.ENV_FILE)).conda_file)
    lock_text, python = read_lock(SERVING_LOCK, serving.ENV_FILE)
    return Environment(image=settings.BASE_IMAGE, conda_file=with_locked_pip(conda, lock_text, python))


def model_reference(name, version=None):
    """The registered model as a deployment names it: a version, or (None) its latest, by Azure ML's label."""
    return f"azureml:{name}:{version}" if version else f"azureml:{name}@latest"


def describe(args, endpoint, model):
    """Print the endpoint, the deployment (as Azure ML's YAML, from the SDK's own objects) and the cost, offline."""
    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
    deployment = deployment_entity(args, endpoint or "ENDPOINT", model)
    print(f"endpoint:    {endpoint or '(cifar10- and a hash of the workspace that .azureml/config.json names)'}")
    print(f"deployment:  {args.deployment}, taking all of the endpoint's traffic")
    print(f"model:       {model}")
    print(f"scoring:     src/{serving.ENTRY_SCRIPT} in Azure ML's inference server, src/ uploaded as its code")
    print(
        f"environment: {serving.ENV_FILE.relative_to(settings.ROOT).as_posix()} on {settings.BASE_IMAGE}, its pip "
        f"packages as {SERVING_LOCK.relative_to(settings.ROOT).as_posix()} pins them"
    )
    costs.print_endpoint_costs(args.instance_type, args.instance_count)
    print("The deployment, as Azure ML's YAML:")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "deployment.yml")
        deployment.dump(path)
        print(path.read_text(encoding="utf-8"), end="")


def latest_version(client, name, timeout):
    """The latest version of the registered model `name`; stops with the fix when there is none."""
    from azure.core.exceptions import ResourceNotFoundError

    def latest():
        try:
            return client.models.get(name, label="latest").version
        except ResourceNotFoundError:
            return None

    version = bounded(latest, timeout, f"looking up model {name!r}", "run again")
    if version is None:
        fail(f"the workspace has no model {name!r}", "register one: python 07-download-model.py")
    return version


def deploy(client, args, endpoint, model):
    """Create (or update) the endpoint and the deployment, send it all traffic; print the address and what next."""
    print(f"Creating endpoint {endpoint!r} (a minute or two) ...", flush=True)
    bounded(
        lambda: client.online_endpoints.begin_create_or_update(endpoint_entity(endpoint)).result(),
        CREATE_TIMEOUT_S,
        f"creating endpoint {endpoint!r}",
        "run again; a name taken in the region needs another: --endpoint NAME",
    )
    print(f"Deploying {model} as {args.deployment!r} (the image is built first: 10 to 20 minutes) ...", flush=True)
    bounded(
        lambda: client.online_deployments.begin_create_or_update(deployment_entity(args, endpoint, model)).result(),
        DEPLOY_TIMEOUT_S,
        f"deploying {args.deployment!r}",
        f"see the deployment's log in Azure ML Studio (Endpoints, {endpoint}), then run again",
    )
    made = client.online_endpoints.get(endpoint)
    made.traffic = {args.deployment: 100}
    bounded(
        lambda: client.online_endpoints.begin_create_or_update(made).result(),
        CREATE_TIMEOUT_S,
        f"sending the traffic of {endpoint!r} to {args.deployment!r}",
        "run again",
    )
    print(f"Endpoint {endpoint!r} answers at {made.scoring_uri} (key authentication).")
    print("Call it: python 08-deploy.py --invoke IMAGE; it bills every hour until: python 08-deploy.py --delete")


def invoke(client, args, endpoint, body, timeout=INVOKE_TIMEOUT_S):
    """Send the pictures (body: scoring.request_body's batch) to the endpoint with the SDK's invoke; print a line for
    each."""
    from aml import scoring

    with tempfile.TemporaryDirectory() as folder:
        request = Path(folder, "request.json")
        request.write_bytes(body)
        text = bounded(
            lambda: client.online_endpoints.invoke(
                endpoint_name=endpoint, request_file=str(request), deployment_name=args.deployment
            ),
            timeout,
            f"calling endpoint {endpoint!r}",
            "deploy it first (python 08-deploy.py), or check its name: --endpoint NAME",
        )
    answer = json.loads(text) if isinstance(text, str) else text
    found = scoring.predictions(200, json.dumps(answer))
    for name, prediction in zip(args.invoke, found, strict=True):
        print(scoring.answer_line(name, prediction))
