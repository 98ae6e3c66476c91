"""Create the compute cluster, or reuse it when it exists (tutorial step 2)."""

import argparse

from aml import login, messages, preflight, settings

from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.compute_target import ComputeTargetException


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
    name = args.name or ("gpu-cluster" if args.gpu else chosen.compute_name)
    vm_size = args.vm_size or (chosen.gpu_vm_size if args.gpu else chosen.vm_size)
    if args.max_nodes < 1:
        messages.fail(f"--max-nodes {args.max_nodes} is below 1", "use --max-nodes 1 or more")

    workspace = preflight.check(compute=name)
    ws = login.connect(workspace, args.timeout)

    def existing_cluster():
        try:
            return ComputeTarget(workspace=ws, name=name)
        except ComputeTargetException:
            return None

    cluster = messages.bounded(existing_cluster, args.timeout, f"looking up cluster {name!r}", "run again")
    if cluster is not None:
        print("Found existing cluster, use it.")
    else:
        compute_config = AmlCompute.provisioning_configuration(
            vm_size=vm_size,
            vm_priority="lowpriority" if args.low_priority else "dedicated",
            idle_seconds_before_scaledown=2400,
            min_nodes=0,
            max_nodes=args.max_nodes,
        )
        cluster = ComputeTarget.create(ws, name, compute_config)

    cluster.wait_for_completion(show_output=True)


if __name__ == "__main__":
    main()
