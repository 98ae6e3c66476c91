"""Create the compute cluster, or reuse it when it exists (tutorial step 2)."""

import argparse

from aml import login, messages, preflight, quota, settings

from azure.ai.ml.entities import AmlCompute
from azure.core.exceptions import ResourceNotFoundError


def main(argv=None):
    """Find the cluster, or create it with 0 nodes when idle, so it costs nothing while unused."""
    chosen = settings.load()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--gpu",
        action="store_true",
        help=f"a GPU cluster: VM size {chosen.gpu_vm_size}, named gpu-cluster unless --name",
    )
    parser.add_argument("--name", help=f"cluster name (default: {chosen.compute_name}, or gpu-cluster with --gpu)")
    parser.add_argument("--vm-size", help=f"VM size (default: {chosen.vm_size}, or the GPU size with --gpu)")
    parser.add_argument("--max-nodes", type=int, default=chosen.max_nodes)
    parser.add_argument("--low-priority", action="store_true", help="cheaper nodes that Azure may take back")
    parser.add_argument("--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)
    name = args.name or (settings.GPU_COMPUTE_NAME if args.gpu else chosen.compute_name)
    vm_size = args.vm_size or (chosen.gpu_vm_size if args.gpu else chosen.vm_size)
    if args.max_nodes < 1:
        messages.fail(f"--max-nodes {args.max_nodes} is below 1", "use --max-nodes 1 or more")

    workspace = preflight.check(compute=name)
    ml_client = login.connect(workspace, args.timeout)

    def existing_cluster():
        try:
            return ml_client.compute.get(name)
        except ResourceNotFoundError:
            return None

    cluster = messages.bounded(existing_cluster, args.timeout, f"looking up cluster {name!r}", "run again")
    if cluster is not None:
        print("Found existing cluster, use it.")
    else:
        quota.check_in_time(lambda: quota_answers(ml_client), vm_size, args.low_priority, args.timeout)
        cluster = AmlCompute(
            name=name,
            size=vm_size,
            tier="low_priority" if args.low_priority else "dedicated",
            idle_time_before_scale_down=settings.IDLE_SECONDS_BEFORE_SCALEDOWN,
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
