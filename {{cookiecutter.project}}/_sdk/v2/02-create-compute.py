"""Create the compute cluster, or reuse it when it exists (tutorial step 2)."""

from aml import arguments, costs, login, messages, preflight, quota, sdk

from azure.ai.ml.entities import AmlCompute


def main(argv=None):
    """Find the cluster, or create it with 0 nodes when idle, so it costs nothing while unused."""
    args = arguments.compute_arguments(__doc__, argv)
    name, vm_size = args.name, args.vm_size

    workspace = preflight.check(compute=name)
    ml_client = login.connect(workspace, args.timeout)

    cluster = messages.bounded(
        lambda: sdk.existing_cluster(ml_client, name), args.timeout, f"looking up cluster {name!r}", "run again"
    )
    if cluster is not None:
        print("Found existing cluster, use it.")
    else:
        quota.check_in_time(lambda: quota_answers(ml_client), vm_size, args.low_priority, args.timeout)
        cluster = AmlCompute(
            name=name,
            size=vm_size,
            tier="low_priority" if args.low_priority else "dedicated",
            idle_time_before_scale_down=costs.idle_seconds(vm_size),  # GPU nodes go sooner
            min_instances=0,
            max_instances=args.max_nodes,
        )
        cluster = ml_client.compute.begin_create_or_update(cluster).result()
    print(f"Cluster {cluster.name!r}: {cluster.size}, 0 to {cluster.max_instances} nodes")


def quota_answers(ml_client):
    """The workspace's region, the VM sizes offered there and the region's quota usages, as the SDK answers."""
    location = ml_client.workspaces.get(ml_client.workspace_name).location
    sizes = ml_client.compute.list_sizes(location=location)
    return location, list(sizes), list(ml_client.compute.list_usage(location=location))


if __name__ == "__main__":
    main()
