"""Create the compute cluster, or reuse it when it exists (tutorial step 2)."""

import argparse

from aml import login, messages, preflight, quota, settings

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
    name = args.name or (settings.GPU_COMPUTE_NAME if args.gpu else chosen.compute_name)
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
        quota.check_in_time(lambda: quota_answers(ws), vm_size, args.low_priority, args.timeout)
        compute_config = AmlCompute.provisioning_configuration(
            vm_size=vm_size,
            vm_priority="lowpriority" if args.low_priority else "dedicated",
            idle_seconds_before_scaledown=settings.IDLE_SECONDS_BEFORE_SCALEDOWN,
            min_nodes=0,
            max_nodes=args.max_nodes,
        )
        cluster = ComputeTarget.create(ws, name, compute_config)

    cluster.wait_for_completion(show_output=True)


def quota_answers(ws):
    """The workspace's region, the VM sizes offered there and the region's quota usages, as Azure answers."""
    location = ws.location
    return location, vm_sizes(ws, location), AmlCompute.list_usages(ws, location=location)


def vm_sizes(ws, location):
    """The VM sizes Azure ML offers for clusters in location, as Azure lists them: with each one's family, which
    AmlCompute.supported_vmsizes() leaves out (the same request, with the same login and API version)."""
    from azureml._compute._constants import MLC_WORKSPACE_API_VERSION
    from azureml._compute._util import get_requests_session
    from azureml._restclient.clientbase import ClientBase

    endpoint = (
        f"{ComputeTarget._get_resource_manager_endpoint(ws).rstrip('/')}/subscriptions/{ws.subscription_id}"
        f"/providers/Microsoft.MachineLearningServices/locations/{location}/vmSizes"
    )
    headers = ws._auth.get_authentication_header()
    response = ClientBase._execute_func(
        get_requests_session().get, endpoint, params={"api-version": MLC_WORKSPACE_API_VERSION}, headers=headers
    )
    response.raise_for_status()
    payload = response.json()
    return payload.get("amlCompute") or payload.get("value") or []


if __name__ == "__main__":
    main()
