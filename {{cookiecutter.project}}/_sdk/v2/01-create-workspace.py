"""Create the Azure ML workspace and write .azureml/config.json (tutorial step 1)."""

import json

from aml import arguments, login, messages, settings

from azure.ai.ml import MLClient
from azure.ai.ml.entities import Workspace


def main(argv=None):
    """Create (or reuse) the workspace named in .azureml/settings.yml or by the flags, then save its config."""
    args = arguments.workspace_arguments(__doc__, argv)

    # the same login as the other scripts: a service principal, the Azure CLI's login, or a device code
    credential, how = login.authentication(settings.TIMEOUT_S, subscription=args.subscription_id)
    ml_client = MLClient(credential, subscription_id=args.subscription_id, resource_group_name=args.resource_group)
    workspace = Workspace(name=args.workspace_name, location=args.region)
    ws = messages.bounded(
        lambda: ml_client.workspaces.begin_create(workspace).result(),
        args.timeout,
        f"creating workspace {args.workspace_name!r} ({how})",
        f"{settings.login_fix(how)}, check the subscription id and region, and that the resource group "
        f"exists (az group create --name {args.resource_group} --location {args.region})",
    )

    # write out the workspace details to a configuration file: .azureml/config.json
    config = {"subscription_id": args.subscription_id, "resource_group": args.resource_group, "workspace_name": ws.name}
    path = settings.ROOT / ".azureml" / "config.json"
    path.write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
    print(f"Workspace {ws.name!r} is ready; its config is in .azureml/config.json")


if __name__ == "__main__":
    main()
