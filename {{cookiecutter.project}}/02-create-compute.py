"""Create the compute cluster, or reuse it when it exists (tutorial step 2)."""

import argparse

import aml_project
{%- if cookiecutter.sdk == "v1" %}

from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.compute_target import ComputeTargetException
{%- else %}

from azure.ai.ml.entities import AmlCompute
from azure.core.exceptions import ResourceNotFoundError
{%- endif %}


def main(argv=None):
    """Find the cluster, or create it with 0 nodes when idle, so it costs nothing while unused."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--gpu",
        action="store_true",
        help=f"a GPU cluster: VM size {aml_project.GPU_VM_SIZE}, named gpu-cluster unless --name",
    )
    parser.add_argument("--name", help=f"cluster name (default: {aml_project.COMPUTE_NAME}, or gpu-cluster with --gpu)")
    parser.add_argument("--vm-size", help=f"VM size (default: {aml_project.VM_SIZE}, or the GPU size with --gpu)")
    parser.add_argument("--max-nodes", type=int, default=aml_project.MAX_NODES)
    parser.add_argument("--low-priority", action="store_true", help="cheaper nodes that Azure may take back")
    parser.add_argument("--timeout", type=float, default=aml_project.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)
    name = args.name or ("gpu-cluster" if args.gpu else aml_project.COMPUTE_NAME)
    vm_size = args.vm_size or (aml_project.GPU_VM_SIZE if args.gpu else aml_project.VM_SIZE)
    if args.max_nodes < 1:
        aml_project.fail(f"--max-nodes {args.max_nodes} is below 1", "use --max-nodes 1 or more")

    aml_project.preflight(compute=name)
{%- if cookiecutter.sdk == "v1" %}
    ws = aml_project.load_workspace(args.timeout)
{%- else %}
    ml_client = aml_project.ml_client(args.timeout)
{%- endif %}

    def existing_cluster():
        try:
{%- if cookiecutter.sdk == "v1" %}
            return ComputeTarget(workspace=ws, name=name)
        except ComputeTargetException:
{%- else %}
            return ml_client.compute.get(name)
        except ResourceNotFoundError:
{%- endif %}
            return None

    cluster = aml_project.bounded(existing_cluster, args.timeout, f"looking up cluster {name!r}", "run again")
    if cluster is not None:
        print("Found existing cluster, use it.")
    else:
{%- if cookiecutter.sdk == "v1" %}
        compute_config = AmlCompute.provisioning_configuration(
            vm_size=vm_size,
            vm_priority="lowpriority" if args.low_priority else "dedicated",
            idle_seconds_before_scaledown=2400,
            min_nodes=0,
            max_nodes=args.max_nodes,
{%- else %}
        cluster = AmlCompute(
            name=name,
            size=vm_size,
            tier="low_priority" if args.low_priority else "dedicated",
            idle_time_before_scale_down=2400,
            min_instances=0,
            max_instances=args.max_nodes,
{%- endif %}
        )
{%- if cookiecutter.sdk == "v1" %}
        cluster = ComputeTarget.create(ws, name, compute_config)

    cluster.wait_for_completion(show_output=True)
{%- else %}
        cluster = ml_client.compute.begin_create_or_update(cluster).result()
    print(f"Cluster {cluster.name!r}: {cluster.size}, 0 to {cluster.max_instances} nodes")
{%- endif %}


if __name__ == "__main__":
    main()
