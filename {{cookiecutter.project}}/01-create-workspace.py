"""Create the Azure ML workspace and write .azureml/config.json (tutorial step 1)."""

import argparse
{%- if cookiecutter.sdk == "v1" %}

import aml_project

from azureml.core import Workspace
{%- else %}
import json

import aml_project

from azure.ai.ml import MLClient
from azure.ai.ml.entities import Workspace
{%- endif %}


def main(argv=None):
    """Create (or reuse) the workspace named by the answers or the flags, then save its config."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscription-id", default=aml_project.SUBSCRIPTION_ID)
    parser.add_argument("--resource-group", default=aml_project.RESOURCE_GROUP)
    parser.add_argument("--workspace-name", default=aml_project.WORKSPACE_NAME)
    parser.add_argument("--region", default=aml_project.REGION, help="Azure region, e.g. eastus")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for Azure (default: 900)")
    args = parser.parse_args(argv)

    missing = [
        f"--{name.replace('_', '-')}"
        for name in ("subscription_id", "resource_group", "workspace_name", "region")
        if not getattr(args, name)
    ]
    if missing:
        aml_project.fail(
            f"the workspace details {', '.join(missing)} were left empty when this project was made",
            "pass them: python 01-create-workspace.py " + " ".join(f"{flag} VALUE" for flag in missing),
        )

    # the same login as the other scripts: a service principal, the Azure CLI's login, or a device code
    credential, how = aml_project.authentication(aml_project.TIMEOUT_S, subscription=args.subscription_id)
{%- if cookiecutter.sdk == "v1" %}
    ws = aml_project.bounded(
        lambda: Workspace.create(
            name=args.workspace_name,
            auth=credential,
            subscription_id=args.subscription_id,
            resource_group=args.resource_group,
            create_resource_group=True,
            location=args.region,
            exist_ok=True,
        ),
{%- else %}
    ml_client = MLClient(credential, subscription_id=args.subscription_id, resource_group_name=args.resource_group)
    workspace = Workspace(name=args.workspace_name, location=args.region)
    ws = aml_project.bounded(
        lambda: ml_client.workspaces.begin_create(workspace).result(),
{%- endif %}
        args.timeout,
        f"creating workspace {args.workspace_name!r} ({how})",
{%- if cookiecutter.sdk == "v1" %}
        f"{aml_project.login_fix(how)}, and check the subscription id and region",
{%- else %}
        f"{aml_project.login_fix(how)}, check the subscription id and region, and that the resource group "
        f"exists (az group create --name {args.resource_group} --location {args.region})",
{%- endif %}
    )

    # write out the workspace details to a configuration file: .azureml/config.json
{%- if cookiecutter.sdk == "v1" %}
    ws.write_config(path=str(aml_project.ROOT / ".azureml"))
{%- else %}
    config = {"subscription_id": args.subscription_id, "resource_group": args.resource_group, "workspace_name": ws.name}
    path = aml_project.ROOT / ".azureml" / "config.json"
    path.write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
{%- endif %}
    print(f"Workspace {ws.name!r} is ready; its config is in .azureml/config.json")


if __name__ == "__main__":
    main()
