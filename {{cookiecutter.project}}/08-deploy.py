"""Serve the registered model on a managed online endpoint: src/score.py in the serving environment (use the model).

Managed online endpoints are Azure ML SDK v2's (azure-ai-ml): an SDK v1 project deploys with it too. An endpoint's
deployment bills every hour it exists, used or not: --dry-run says how much, --delete stops it.
"""

from aml import deployment, endpoints, preflight, scoring


def main(argv=None):
    """Deploy the model (or --dry-run: show it, offline), --invoke the endpoint with pictures, or --delete it."""
    args = deployment.arguments(__doc__, argv)  # offline first: the flags, the pictures, the serving environment
    body = scoring.request_body(scoring.read_pictures(args.invoke)) if args.invoke else None
    if not args.invoke and not args.delete:
        deployment.check_serving()
    deployment.require_sdk_v2()
    workspace = preflight.check(workspace=not args.dry_run)
    config = workspace[1] if workspace else deployment.config_if_any()
    endpoint = args.endpoint or deployment.endpoint_name(config)
    if args.dry_run:
        deployment.describe(args, endpoint, deployment.model_reference(args.model_name, args.model_version))
        print("Dry run: nothing was contacted or created.")
        return
    from aml import ml_client

    client = ml_client.connect(workspace, args.timeout)
    if args.delete:
        return endpoints.delete(client, endpoint, args.timeout)
    if args.invoke:
        return deployment.invoke(client, args, endpoint, body)
    version = args.model_version or deployment.latest_version(client, args.model_name, args.timeout)
    model = deployment.model_reference(args.model_name, version)
    deployment.describe(args, endpoint, model)
    deployment.deploy(client, args, endpoint, model)


if __name__ == "__main__":
    main()
