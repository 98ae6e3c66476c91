"""Delete what this project made on Azure: its compute clusters and endpoints, or with --resource-group everything."""

from aml import cleanup, endpoints, login, messages, sdk
from aml.settings import config_subscription


def main(argv=None):
    """Say what is deleted, ask (or --yes), then delete the clusters and endpoints that exist, or the resource group."""
    args = cleanup.arguments(__doc__, argv)
    workspace, name, group = cleanup.plan(args)
    if args.dry_run:
        print("Dry run: nothing was contacted or deleted.")
        return
    cleanup.need_confirmation(args)
    if args.resource_group:
        cleanup.confirm(args, f"resource group {group!r} and everything in it", group)
        cleanup.delete_resource_group(group, config_subscription(workspace[1]), args.timeout)
        return
    connection = login.connect(workspace, args.timeout)
    clusters = [
        messages.bounded(
            lambda n=n: sdk.existing_cluster(connection, n), args.timeout, f"looking up cluster {n!r}", "run again"
        )
        for n in args.clusters
    ]
    found = [cluster for cluster in clusters if cluster is not None]
    for missing in sorted(set(args.clusters) - {cluster.name for cluster in found}):
        print(f"No cluster {missing!r} in workspace {name!r}: nothing to delete.")
    client = endpoints.client_for(connection, workspace, args.timeout)
    serving = endpoints.listed(client, args.timeout) if client else []
    print("\n".join(cleanup.endpoint_lines(serving, client is not None, name)))
    if not found and not serving:
        return
    what = [f"cluster(s) {', '.join(cluster.name for cluster in found)}"] if found else []
    what += [f"endpoint(s) {', '.join(endpoint for endpoint, _ in serving)}"] if serving else []
    cleanup.confirm(args, f"{' and '.join(what)} of workspace {name!r}", name)
    for cluster in found:
        sdk.delete_cluster(connection, cluster, args.timeout)
    for endpoint, _ in serving:
        endpoints.delete(client, endpoint, args.timeout)
    try:
        parts = messages.bounded(
            lambda: sdk.workspace_parts(connection, name), args.timeout, f"reading workspace {name!r}", ""
        )
    except SystemExit:  # the clusters are going: say what still costs without the resources' names
        parts = None
    print(f"Still costing, as long as workspace {name!r} is there (99-clean-up.py --resource-group deletes them):")
    print("\n".join(cleanup.billed_parts(parts, group)))


if __name__ == "__main__":
    main()
