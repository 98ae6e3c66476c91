"""Upload CIFAR-10 from data/ to the workspace's default datastore (tutorial part 4)."""

import argparse
from pathlib import Path

from aml import login, messages, preflight, sdk, settings, submission


def main(argv=None):
    """Copy data/cifar-10-batches-py to datasets/cifar10 on the default datastore, for 06-run-pytorch-data.py."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-path", default=str(settings.ROOT / "data"), help="the folder with CIFAR-10")
    parser.add_argument("--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for login (default: 60)")
    args = parser.parse_args(argv)

    batches = Path(args.data_path) / "cifar-10-batches-py"
    if not (batches / "data_batch_1").is_file():
        messages.fail(
            f"no CIFAR-10 in {batches}",
            "download it once with python src/train.py --epochs 1, or put the extracted "
            f"cifar-10-batches-py folder into {args.data_path}",
        )
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
