"""Create the compute cluster, or reuse it when it exists (tutorial step 2)."""
import aml_project
from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.compute_target import ComputeTargetException


def main():
    """Find the cluster named in the answers, or create it with min 0 nodes so it costs nothing when idle."""
    ws = aml_project.load_workspace()

    try:
        cpu_cluster = ComputeTarget(workspace=ws, name=aml_project.COMPUTE_NAME)
        print("Found existing cluster, use it.")
    except ComputeTargetException:
        compute_config = AmlCompute.provisioning_configuration(vm_size=aml_project.VM_SIZE,
                                                               idle_seconds_before_scaledown=2400,
                                                               min_nodes=0,
                                                               max_nodes=aml_project.MAX_NODES)
        cpu_cluster = ComputeTarget.create(ws, aml_project.COMPUTE_NAME, compute_config)

    cpu_cluster.wait_for_completion(show_output=True)


if __name__ == "__main__":
    main()
