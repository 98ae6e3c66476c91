"""Create the compute cluster, or reuse it when it exists (tutorial step 2)."""

from aml import arguments, costs, login, messages, preflight, quota, sdk

from azureml.core.compute import AmlCompute, ComputeTarget


def main(argv=None):
    """Find the cluster, or create it with 0 nodes when idle, so it costs nothing while unused."""
    args = arguments.compute_arguments(__doc__, argv)
    name, vm_size = args.name, args.vm_size

    workspace = preflight.check(compute=name)
    ws = login.connect(workspace, args.timeout)

    cluster = messages.bounded(
        lambda: sdk.existing_cluster(ws, name), args.timeout, f"looking up cluster {name!r}", "run again"
    )
    if cluster is not None:
        print("Found existing cluster, use it.")
    else:
        quota.check_in_time(lambda: quota_answers(ws), vm_size, args.low_priority, args.timeout)
        compute_config = AmlCompute.provisioning_configuration(
            vm_size=vm_size,
            vm_priority="lowpriority" if args.low_priority else "dedicated",
            idle_seconds_before_scaledown=costs.idle_seconds(vm_size),  # GPU nodes go sooner
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
