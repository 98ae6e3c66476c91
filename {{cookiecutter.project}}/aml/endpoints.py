"""The workspace's managed online endpoints (08-deploy.py's), with azure-ai-ml whichever the project's SDK: the client
that reaches them, their list with what each deployment runs on, and deleting one (08 --delete, 99-clean-up.py)."""

from aml.messages import bounded

DELETE_TIMEOUT_S = 1200  # for Azure to delete an endpoint and its deployments


def client_for(connection, workspace, timeout):
    """An MLClient for the workspace's managed online endpoints: SDK v2's connection itself; with SDK v1 one of its
    own where azure-ai-ml is installed (as 08-deploy.py needs it); None without it."""
    if hasattr(connection, "online_endpoints"):
        return connection
    try:
        import azure.ai.ml  # noqa: F401
    except ImportError:
        return None
    from aml import ml_client

    return ml_client.connect(workspace, timeout)


def listed(client, timeout):
    """The workspace's managed online endpoints (name, the VM sizes and counts of their deployments)."""

    def read():
        found = []
        for endpoint in client.online_endpoints.list():
            deployments = client.online_deployments.list(endpoint_name=endpoint.name)
            found.append((endpoint.name, [(d.name, d.instance_type, d.instance_count) for d in deployments]))
        return found

    return bounded(read, timeout, "listing the workspace's endpoints", "run again")


def existing_endpoint(client, name, timeout):
    """The workspace's endpoint of that name, or None."""
    from azure.core.exceptions import ResourceNotFoundError

    def get():
        try:
            return client.online_endpoints.get(name)
        except ResourceNotFoundError:
            return None

    return bounded(get, timeout, f"looking up endpoint {name!r}", "run again")


def delete(client, name, timeout):
    """Delete the endpoint (and its deployments) and wait until it is gone; say so when there is none."""
    if existing_endpoint(client, name, timeout) is None:
        print(f"No endpoint {name!r} in the workspace: nothing to delete.")
        return
    print(f"Deleting endpoint {name!r} and its deployments (some minutes) ...", flush=True)
    bounded(
        lambda: client.online_endpoints.begin_delete(name=name).result(),
        DELETE_TIMEOUT_S,
        f"deleting endpoint {name!r}",
        "run again",
    )
    print(f"Deleted endpoint {name!r}: it bills no more.")
