"""The Azure ML SDK v2 (azure-ai-ml): its check on import, its packages, and its rules for what is uploaded."""

from pathlib import Path

from aml.messages import bounded, fail
from aml.settings import BASE_IMAGE, ENV_FILE, ROOT, env_name

NAME = "azure-ai-ml (the Azure ML SDK v2) or azure-identity"
MODULE = "azure.ai.ml"  # the module every control script needs
# The modules the training code imports from the SDK's side, and the pip package of each (see preflight.PACKAGES).
PACKAGES = {"mlflow": "mlflow"}
DATA_ASSET = "cifar10"  # the data asset 05 makes from data/ and 06 mounts
# SDK v2 uploads src/ as a code asset without a hard limit; this project keeps v1's snapshot limits so that
# each submission stays a quick upload.
SNAPSHOT_MAX_SIZE_BYTES = 300 * 2**20
SNAPSHOT_MAX_FILES = 2000


def require_sdk():
    """Stop with the fix when azure-ai-ml and azure-identity, which every control script needs, are not installed."""
    try:
        import azure.ai.ml  # noqa: F401
        import azure.identity  # noqa: F401
    except ImportError:
        fail(
            f"{NAME} is not installed in this Python",
            f"conda env create -f {ENV_FILE.relative_to(ROOT)}, then conda activate {env_name()}",
        )


def read_environment(env_file=ENV_FILE):
    """The pip and conda specifications of the environment file, as azure-ai-ml reads it."""
    from azure.ai.ml.entities import Environment

    entries = Environment(image=BASE_IMAGE, conda_file=str(env_file)).conda_file.get("dependencies") or []
    pip = [spec for entry in entries if isinstance(entry, dict) for spec in entry.get("pip") or []]
    return pip, [spec for spec in entries if isinstance(spec, str)]


def snapshot_limits():
    """The most bytes and files a snapshot may hold, and whose limit that is."""
    return SNAPSHOT_MAX_SIZE_BYTES, SNAPSHOT_MAX_FILES, "this project's limit"


def ignore_rules(source_dir):
    """Whether a path is left out of the upload (.amlignore, else .gitignore), and the ignore file, or None."""
    from azure.ai.ml._utils._asset_utils import get_ignore_file  # the SDK's rules: .amlignore, else .gitignore

    ignore = get_ignore_file(source_dir)
    return ignore.is_file_excluded, (Path(ignore.path) if ignore.exists() else None)


def existing_cluster(ml_client, name):
    """The workspace's cluster of that name, or None."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return ml_client.compute.get(name)
    except ResourceNotFoundError:
        return None


def workspace_parts(ml_client, name):
    """The Azure resources the workspace was made with, {kind: resource id} (cleanup.WORKSPACE_PARTS' kinds)."""
    workspace = ml_client.workspaces.get(name)
    return {
        kind: getattr(workspace, kind, None)
        for kind in ("storage_account", "container_registry", "application_insights", "key_vault")
    }


def delete_cluster(ml_client, cluster, timeout):
    """Delete the cluster and wait until it is gone (its own time limit: the nodes of an idle cluster are gone)."""
    from aml.cleanup import DELETE_TIMEOUT_S

    bounded(
        lambda: ml_client.compute.begin_delete(cluster.name).result(),
        DELETE_TIMEOUT_S,
        f"deleting cluster {cluster.name!r}",
        "run again",
    )
    print(f"Deleted cluster {cluster.name!r}.")
