"""Upload CIFAR-10 from data/ to the workspace's default datastore (tutorial part 4)."""

from aml import arguments, login, messages, preflight, sdk, settings, submission


def main(argv=None):
    """Copy data/cifar-10-batches-py to datasets/cifar10 on the default datastore, for 06-run-pytorch-data.py."""
    args = arguments.upload_arguments(__doc__, argv)
    batches = args.batches
    workspace = preflight.check()
    ws = login.connect(workspace, args.timeout)
    datastore = submission.default_datastore(ws, args.timeout)
    target = f"{sdk.DATASTORE_PATH}/cifar-10-batches-py"
    messages.bounded(
        lambda: datastore.upload(src_dir=str(batches), target_path=target, overwrite=True, show_progress=True),
        settings.UPLOAD_TIMEOUT_S,
        f"uploading {batches}",
        "run again",
    )
    print(f"Uploaded to {datastore.name}/{target}; train on it with python 06-run-pytorch-data.py")


if __name__ == "__main__":
    main()
