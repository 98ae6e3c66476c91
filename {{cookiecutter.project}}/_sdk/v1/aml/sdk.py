"""The Azure ML SDK v1 (azureml-core): its check on import, its packages, and its rules for what is uploaded."""

from pathlib import Path

from aml.messages import bounded, fail
from aml.settings import ENV_FILE, ROOT, env_name

NAME = "azureml-core (the Azure ML SDK v1)"
MODULE = "azureml"  # the module every control script needs
# The modules the training code imports from the SDK's side, and the pip package of each (see preflight.PACKAGES).
PACKAGES = {"azureml": "azureml-core"}
DATASTORE_PATH = "datasets/cifar10"  # where 05 uploads data/ and 06 mounts it from


def require_sdk():
    """Stop with the fix when azureml-core, which every control script needs, is not installed."""
    try:
        import azureml.core  # noqa: F401
    except ImportError:
        fail(
            f"{NAME} is not installed in this Python",
            f"conda env create -f {ENV_FILE.relative_to(ROOT)}, then conda activate {env_name()}",
        )


def read_environment(env_file=ENV_FILE):
    """The pip and conda specifications of the environment file, as azureml-core reads them."""
    from azureml.core import Environment

    conda = Environment.from_conda_specification(name=env_name(env_file), file_path=str(env_file)).python
    return list(conda.conda_dependencies.pip_packages), list(conda.conda_dependencies.conda_packages)


def snapshot_limits():
    """The most bytes and files a snapshot may hold, and whose limit that is."""
    from azureml._restclient.constants import SNAPSHOT_MAX_FILES, SNAPSHOT_MAX_SIZE_BYTES

    return SNAPSHOT_MAX_SIZE_BYTES, SNAPSHOT_MAX_FILES, "Azure ML's limit"


def ignore_rules(source_dir):
    """Whether a path is left out of the upload (.amlignore, else .gitignore), and the ignore file, or None."""
    from azureml._project.ignore_file import get_project_ignore_file

    ignore = get_project_ignore_file(str(source_dir))
    return ignore.is_file_excluded, (Path(ignore.get_path()) if ignore.exists() else None)


def existing_cluster(ws, name):
    """The workspace's cluster of that name, or None."""
    from azureml.core.compute import ComputeTarget
    from azureml.core.compute_target import ComputeTargetException

    try:
        return ComputeTarget(workspace=ws, name=name)
    except ComputeTargetException:
        return None


def workspace_parts(ws, name):
    """The Azure resources the workspace was made with, {kind: resource id} (cleanup.WORKSPACE_PARTS' kinds)."""
    details = ws.get_details()  # as Azure answers: storageAccount, containerRegistry, … as resource ids
    keys = {
        "storage_account": "storageAccount",
        "container_registry": "containerRegistry",
        "application_insights": "applicationInsights",
        "key_vault": "keyVault",
    }
    return {kind: details.get(key) for kind, key in keys.items()}


def delete_cluster(ws, cluster, timeout):
    """Start deleting the cluster: Azure takes a minute or two, which Studio's Compute page shows."""
    bounded(cluster.delete, timeout, f"deleting cluster {cluster.name!r}", "run again")
    print(f"Azure is deleting cluster {cluster.name!r} (a minute or two; Studio's Compute page shows it).")
