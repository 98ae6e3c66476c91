"""Train on the cluster with CIFAR-10 mounted from the datastore instead of downloaded (tutorial part 4)."""

from aml import arguments, login, preflight, sdk, submission


def cifar10_mount(ws, timeout):
    """datasets/cifar10 of the default datastore (ws None: its usual name), mounted where train.py runs."""
    # the data uploaded by 05-upload-data.py
    datastore = submission.default_datastore(ws, timeout)
    return datastore.path(sdk.DATASTORE_PATH, data_reference_name="cifar10").as_mount()


def main(argv=None):
    """Mount datasets/cifar10 from the default datastore, pass it as --data-path, and submit (or --dry-run)."""
    args = arguments.submission_arguments(__doc__, argv)
    if args.logs:  # submit nothing: show a run's error
        return submission.show_logs(args)
    workspace = preflight.check(compute=args.compute, upload=True, workspace=not args.dry_run)
    ws = None if args.dry_run else login.connect(workspace, args.timeout)
    job = submission.training_job(args, data=cifar10_mount(ws, args.timeout))
    submission.submit(job, args, workspace, connection=ws)


if __name__ == "__main__":
    main()
