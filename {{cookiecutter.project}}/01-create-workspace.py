"""Create the Azure ML workspace and write .azureml/config.json (tutorial step 1)."""

import argparse

import aml_project

from azureml.core import Workspace


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

    ws = aml_project.bounded(
        lambda: Workspace.create(
            name=args.workspace_name,
            subscription_id=args.subscription_id,
            resource_group=args.resource_group,
            create_resource_group=True,
            location=args.region,
            exist_ok=True,
        ),
        args.timeout,
        f"creating workspace {args.workspace_name!r}",
        "log in with 'az login --use-device-code' and check the subscription id and region",
    )

    # write out the workspace details to a configuration file: .azureml/config.json
    ws.write_config(path=str(aml_project.ROOT / ".azureml"))
    print(f"Workspace {ws.name!r} is ready; its config is in .azureml/config.json")


if __name__ == "__main__":
    main()
