"""Create the Azure ML workspace and write .azureml/config.json (tutorial step 1)."""

from aml import arguments, login, messages, settings

from azureml.core import Workspace


def main(argv=None):
    """Create (or reuse) the workspace named in .azureml/settings.yml or by the flags, then save its config."""
    args = arguments.workspace_arguments(__doc__, argv)

    # the same login as the other scripts: a service principal, the Azure CLI's login, or a device code
    credential, how = login.authentication(settings.TIMEOUT_S, subscription=args.subscription_id)
    ws = messages.bounded(
        lambda: Workspace.create(
            name=args.workspace_name,
            auth=credential,
            subscription_id=args.subscription_id,
            resource_group=args.resource_group,
            create_resource_group=True,
            location=args.region,
            exist_ok=True,
        ),
        args.timeout,
        f"creating workspace {args.workspace_name!r} ({how})",
        f"{settings.login_fix(how)}, and check the subscription id and region",
    )

    # write out the workspace details to a configuration file: .azureml/config.json
    ws.write_config(path=str(settings.ROOT / ".azureml"))
    print(f"Workspace {ws.name!r} is ready; its config is in .azureml/config.json")


if __name__ == "__main__":
    main()
