"""Download a training run's model into outputs/<run id>/ and register it in the workspace (use the model)."""

from aml import arguments, downloads, login, models, preflight


def main(argv=None):
    """Take a run (--run-id, else the latest completed one), bring its files home, register its model; or with
    --dry-run say what it would do, offline."""
    args = arguments.download_arguments(__doc__, argv)
    workspace = preflight.check(workspace=not args.dry_run)
    if args.dry_run:
        return downloads.describe(args, models.registered_path(args.run_id or downloads.RUN_ID))
    connection = login.connect(workspace, args.timeout)
    run_id, run = models.find_run(connection, args.run_id, args.experiment, args.timeout)
    print(f"Downloading the outputs of run {run_id} ...", flush=True)
    folder, earlier = downloads.bring_home(run_id, lambda into: models.fetch(connection, run, into))
    tags = downloads.tags(run_id, folder)
    name, version = models.register(connection, run, args.model_name, tags, args.timeout)
    downloads.done(run_id, folder, earlier, name, version, tags)


if __name__ == "__main__":
    main()
